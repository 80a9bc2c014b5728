'use strict';
// `npm run secrets:reseal`: the re-seal command of the build (dist/src/cli/reseal.js), built
// first when there is no build yet or the sources are newer, as `npm start` does. Where only
// dist/ is deployed, run `node dist/src/cli/reseal.js` with the service's environment.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'cli', 'reseal.js');

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

if (!fs.existsSync(entry) || fs.statSync(entry).mtimeMs < newestSource(path.join(root, 'src'))) {
  // Build output goes to stderr: stdout carries only the command's report.
  execSync('npm run build --silent', { cwd: root, stdio: ['ignore', 2, 2] });
}
require(entry)
  .runReseal(process.env)
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `Re-sealing failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(1);
    },
  );
