import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from './support/test-app';

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

describe('The build (e2e)', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let base: string;

  // A copy with nothing of the checkout but what `npm run build` makes and the default templates.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rn-build-'));
    const out = join(dir, 'dist');
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: ROOT, encoding: 'utf8' },
    );
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
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' };
    env.DATA_DIR = join(dir, 'data');
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    child = spawn(process.execPath, [join(out, 'src', 'main.js')], {
      cwd: dir,
      env,
      stdio: 'ignore',
    });
    await eventually(async () => (await fetch(`${base}/health`)).ok, 60_000, 200);
  }, 180_000);

  afterAll(() => {
    child?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs with only dist/ and templates/: the console renders and its files are served', async () => {
    const page = await fetch(`${base}/console/sign-in`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form');
    expect(html).toContain('/console/assets/console.css');
    const css = await fetch(`${base}/console/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await css.text()).length).toBeGreaterThan(100);
  });
});
