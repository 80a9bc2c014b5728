'use strict';
// `npm start`: build once when there is no build yet (or the sources are newer), then run it.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(entry);
if (!built || fs.statSync(entry).mtimeMs < newestSource(path.join(root, 'src'))) {
  // The build takes a while on a small machine; say so, or the first start looks stuck.
  process.stdout.write(
    built
      ? 'The sources changed since the last build: building again (about 15 to 60 seconds)...\n'
      : 'Building the service, first run only (about 15 to 60 seconds)...\n',
  );
  try {
    execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
  } catch {
    process.stderr.write('The build failed (its errors are above); nothing was started.\n');
    process.exit(1);
  }
}
require(entry);
