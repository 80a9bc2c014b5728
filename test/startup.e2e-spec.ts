import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const WIRING = [
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  kill(): Promise<void>;
}

/**
 * `npm start` as a new user runs it (scripts/start.js, which npm start is), until `until` sees
 * what it waits for in the output or the process ends.
 */
function start(
  cwd: string,
  env: NodeJS.ProcessEnv,
  until: (out: string) => boolean,
  timeoutMs: number,
): Promise<Run> {
  // Its own process group: the build it runs is stopped with it.
  const child = spawn(process.execPath, ['scripts/start.js'], { cwd, env, detached: true });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  const run: Run = {
    stdout: '',
    stderr: '',
    code: null,
    kill: () =>
      new Promise((done) => {
        if (run.code !== null) return done();
        child.once('exit', () => done());
        signal('SIGTERM');
      }),
  };
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      fail(new Error(`npm start gave no answer in ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`));
    }, timeoutMs);
    const check = () => {
      if (until(run.stdout)) {
        clearTimeout(timer);
        done(run);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      check();
    });
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    child.once('exit', (code) => {
      run.code = code;
      clearTimeout(timer);
      done(run);
    });
  });
}

// What a new user sees when starting the service: a first start that builds, a second one on
// the same ports, and a mistyped port. Real processes, on a copy of the sources.
describe('npm start (e2e)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let first: Run | undefined;
  let port: number;
  let inboundPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rn-start-'));
    for (const f of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'ormconfig.ts',
    ])
      cpSync(join(ROOT, f), join(dir, f));
    for (const d of ['scripts', 'src', 'templates'])
      cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    port = await freePort();
    inboundPort = await freePort();
    env = {
      ...process.env,
      PORT: String(port),
      INBOUND_SMTP_PORT: String(inboundPort),
      DATA_DIR: join(dir, 'data'),
    };
    // As a new user runs it: the default log level, SQLite, the in-process queue.
    for (const k of ['LOG_LEVEL', 'DATABASE_URL', 'REDIS_URL', 'ADMIN_TOKEN', 'APP_SECRET'])
      delete env[k];
  });

  afterAll(async () => {
    await first?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says it is building on the first start, then that it listens, without the wiring lines', async () => {
    first = await start(dir, env, (out) => out.includes('Listening on'), 240_000);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: null, stderr: '' });
    const { stdout } = first;
    const building = stdout.indexOf('Building the service, first run only');
    expect(building).toBeGreaterThanOrEqual(0);
    expect(building).toBeLessThan(stdout.indexOf('Listening on'));
    expect(stdout).toContain(
      `Operator token generated and kept in ${join(dir, 'data', 'admin-token')}`,
    );
    expect(stdout).toContain(`Listening on http://127.0.0.1:${port}`);
    const logLines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { context?: string; msg: string });
    expect(logLines.filter((l) => WIRING.includes(l.context ?? ''))).toEqual([]);
    expect(logLines.length).toBeLessThan(10);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  }, 300_000);

  it('a second start on the same ports says which port is in use and what to set, not a stack', async () => {
    const second = await start(dir, env, () => false, 60_000);
    expect(second.code).toBe(1);
    expect(second.stdout).not.toContain('Building');
    expect(second.stderr).toContain(
      `Port ${port} on 127.0.0.1 is in use (is another npm start still running?); stop that process, or set PORT to a free port, e.g. PORT=${port + 1} npm start.`,
    );
    expect(second.stderr).toContain(`INBOUND_SMTP_PORT ${inboundPort} on 127.0.0.1 is in use`);
    expect(second.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    // The first one still serves.
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  }, 90_000);

  it('PORT=abc says PORT="abc" and what a port is', async () => {
    const bad = await start(dir, { ...env, PORT: 'abc' }, () => false, 60_000);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain(
      'PORT="abc": PORT must be a port number from 1 to 65535, such as 3000 (0 picks a free one)',
    );
    expect(bad.stderr).not.toContain('PORT=null');
  }, 90_000);
});
