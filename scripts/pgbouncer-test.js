'use strict';
// Runs e2e files with the service behind PgBouncer in transaction pooling mode, the way a
// deployment that multiplexes many processes onto few Postgres connections runs it:
//
//   node scripts/pgbouncer-test.js <database> test/events.e2e-spec.ts test/delivery.e2e-spec.ts
//
// It starts a private pgbouncer (its own port and configuration in a temporary folder, nothing
// installed as a service) in front of Postgres at PGBOUNCER_TARGET (127.0.0.1:5432), runs the
// files through scripts/test-ca.js with TEST_DATABASE_URL pointing at it (and TEST_REDIS_URL
// when set), then stops it. Needs the pgbouncer binary (Debian: apt-get install pgbouncer).
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const [database, ...files] = process.argv.slice(2);
if (!database || files.length === 0) {
  process.stderr.write('usage: node scripts/pgbouncer-test.js <database> <e2e file>...\n');
  process.exit(2);
}
const [targetHost, targetPort] = (process.env.PGBOUNCER_TARGET || '127.0.0.1:5432').split(':');
const user = process.env.PGBOUNCER_USER || 'postgres';
// Fewer server connections than one app's pool (DATABASE_POOL_SIZE, 10): the app's clients
// really share them, transaction by transaction.
const serverPool = Number(process.env.PGBOUNCER_POOL_SIZE || 4);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function reachable(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SHOW STATS from pgbouncer's admin console, the row of one database. */
async function bouncerStats(port, database) {
  const { Client } = require('pg');
  const client = new Client({ host: '127.0.0.1', port, user, database: 'pgbouncer' });
  await client.connect();
  try {
    const { rows } = await client.query('SHOW STATS');
    return rows.find((r) => r.database === database);
  } finally {
    await client.end();
  }
}

async function main() {
  const binary = spawnSync('pgbouncer', ['--version'], { encoding: 'utf8' });
  if (binary.status !== 0)
    throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rn-pgbouncer-'));
  const port = await freePort();
  // trust: pgbouncer checks nothing itself, and logs in to Postgres as the client's user; the
  // user must still be listed in the auth file.
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${targetHost} port=${targetPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `stats_users = ${user}`,
      `default_pool_size = ${serverPool}`,
      'max_client_conn = 500',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  // pgbouncer refuses to run as root: it then switches to the database's system user.
  const asRoot = process.getuid && process.getuid() === 0;
  if (asRoot) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (owner.status !== 0) throw new Error('running as root needs a postgres system user');
    for (const f of ['', 'users.txt', 'pgbouncer.ini'])
      fs.chownSync(path.join(dir, f), Number(owner.stdout), Number(group.stdout));
  }
  const bouncer = spawn(
    'pgbouncer',
    [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')],
    // Its log is in the temporary folder, shown when it fails to start.
    { stdio: 'ignore' },
  );
  let exited = false;
  bouncer.once('exit', () => (exited = true));
  const stop = () => {
    if (!exited) bouncer.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!(await reachable(port))) {
      if (exited || Date.now() > deadline) {
        const log = fs.existsSync(path.join(dir, 'pgbouncer.log'))
          ? fs.readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8')
          : '';
        throw new Error(`pgbouncer did not start on port ${port}:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = `postgres://${user}@127.0.0.1:${port}/${database}`;
    process.stdout.write(
      `pgbouncer ${binary.stdout.split('\n')[0]} on 127.0.0.1:${port}, transaction pooling, ${serverPool} server connections per database, in front of ${targetHost}:${targetPort}\n`,
    );
    const jest = spawnSync(
      process.execPath,
      [
        path.join(__dirname, 'test-ca.js'),
        'npx',
        'jest',
        '--selectProjects',
        'e2e',
        '--runInBand',
        '--',
        ...files,
      ],
      { stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: url } },
    );
    // What went through pgbouncer: proof that the files ran behind it, not around it.
    const stats = await bouncerStats(port, database);
    process.stdout.write(
      stats
        ? `through pgbouncer to ${database}: ${stats.total_xact_count} transactions, ${stats.total_query_count} statements\n`
        : `pgbouncer reports no traffic to ${database}\n`,
    );
    return jest.status === 0 && !stats ? 1 : (jest.status ?? 1);
  } finally {
    stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
