'use strict';
// Makes a throw-away CA and a localhost server certificate for the TLS mail servers that tests
// run, then starts the given command with NODE_EXTRA_CA_CERTS pointing at that CA, so the app
// validates certificates exactly as it does in production.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.resolve(__dirname, '..', 'test', '.certs');

function ensureCerts() {
  const done = path.join(dir, 'server.crt');
  if (fs.existsSync(done)) return;
  fs.mkdirSync(dir, { recursive: true });
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    '/CN=Test Mail CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,DNS:mail.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt.tmp',
  ]);
  fs.renameSync(path.join(dir, 'server.crt.tmp'), done);
}

ensureCerts();
const [cmd, ...args] = process.argv.slice(2);
if (!cmd) process.exit(0);
const child = spawn(cmd, args, {
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.crt'), TEST_CERT_DIR: dir },
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
