'use strict';
// Copies what the compiled service reads beside its code (the console's and the participant
// pages' views, stylesheets and script) into a build: `node scripts/copy-assets.js <outDir>`, after tsc wrote <outDir>/src.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ASSETS = [
  'src/console/views',
  'src/console/assets',
  'src/participant-pages/views',
  'src/participant-pages/assets',
];

function copyAssets(outDir) {
  for (const dir of ASSETS) {
    fs.cpSync(path.join(root, dir), path.join(outDir, dir), { recursive: true });
  }
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node scripts/copy-assets.js <outDir>\n');
    process.exit(2);
  }
  copyAssets(path.resolve(outDir));
}

module.exports = { copyAssets };
