import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, TEST_ADMIN_TOKEN } from './support/test-app';

const ROOT = resolve(__dirname, '..');

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

// The template workers load template-worker.js beside the compiled pool: this runs the build
// (not the TypeScript sources jest runs) and renders programs' templates through it.
describe('Template workers in the build (e2e)', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let base: string;
  let secretKey: string;

  const call = (method: string, path: string, key: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rn-workers-build-'));
    const out = join(dir, 'dist');
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);
    const assets = spawnSync(process.execPath, ['scripts/copy-assets.js', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(assets.status).toBe(0);
    cpSync(join(ROOT, 'templates'), join(dir, 'templates'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: join(dir, 'data'),
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      TEMPLATE_WORKERS: '1',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    child = spawn(process.execPath, [join(out, 'src', 'main.js')], {
      cwd: dir,
      env,
      stdio: 'ignore',
    });
    await eventually(async () => (await fetch(`${base}/health`)).ok, 60_000, 200);
    const program = await call('POST', '/v1/programs', TEST_ADMIN_TOKEN, { name: 'Built' });
    expect(program.status).toBe(201);
    secretKey = ((await program.json()) as { secretKey: string }).secretKey;
  }, 180_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("checks, renders and stops programs' templates in worker threads of the compiled build", async () => {
    const saved = await call('PUT', '/v1/templates/spring-promo/en', secretKey, {
      subject: 'Hi {{default participant.firstName "there"}}',
      html: '<p><a href="{{link event.data.url}}">{{event.type}}</a></p>',
    });
    expect(saved.status).toBe(201);
    const refused = await call('PUT', '/v1/templates/spring-promo/en', secretKey, {
      subject: 'Hi',
      html: '<a href="{{event.data.url}}">x</a>',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe('TEMPLATE_INVALID');

    const shown = await call('POST', '/v1/templates/spring-promo/preview', secretKey, {
      locale: 'en',
      data: { event: { type: 'signup', data: { url: 'https://acme.example/r' } } },
    });
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as { html: string }).html).toContain(
      '<a href="https://acme.example/r">signup</a>',
    );

    const runaway = await call('PUT', '/v1/templates/runaway/en', secretKey, {
      subject: 'Runaway',
      html: '{{#each event.data.items}}{{#each @root.event.data.items}}{{#each @root.event.data.items}}<p>{{this}}</p>{{/each}}{{/each}}{{/each}}',
    });
    expect(runaway.status).toBe(201);
    const stopped = await call('POST', '/v1/templates/runaway/preview', secretKey, {
      locale: 'en',
      data: { event: { data: { items: Array.from({ length: 200 }, (_, i) => i) } } },
    });
    expect(stopped.status).toBe(422);
    expect(((await stopped.json()) as { code: string }).code).toBe('TEMPLATE_RENDER_LIMIT');
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('shuts down cleanly with its worker threads running', async () => {
    const exited = once(child!, 'exit');
    child!.kill('SIGTERM');
    // Nest closes the application (the pool with it), then ends the process by the same signal;
    // a shutdown hook that failed would have exited with code 1.
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
