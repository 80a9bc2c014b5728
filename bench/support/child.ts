import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './stats';

/** Where the service is built for the bench: not dist/, which other work may be using or rebuilding. */
export function buildDir(rootDir: string): string {
  return join(rootDir, 'node_modules', '.cache', 'rn-bench', 'dist');
}

export function appEntry(rootDir: string): string {
  return process.env.BENCH_APP_ENTRY || join(buildDir(rootDir), 'src', 'main.js');
}

// The baselines' own processes, compiled next to the service so they run as plain JS too
// (under ts-node they would carry the TypeScript compiler in their memory).
export const BASELINE_CHILDREN = [
  'bench/support/baseline-ingest-app.ts',
  'bench/support/baseline-mailer.ts',
];

function tsc(rootDir: string, args: string[]): { ok: boolean; errors: number; output: string } {
  const res = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), ...args], {
    cwd: rootDir,
    encoding: 'utf8',
  });
  const output = `${res.stdout}${res.stderr}`;
  return { ok: res.status === 0, errors: (output.match(/error TS\d+/g) ?? []).length, output };
}

/**
 * Compiles the service as `nest build` does (tsc on tsconfig.build.json, no plugins) into the
 * bench's own folder, then the baseline processes beside it. Type errors elsewhere in the tree
 * still emit, so the note says so.
 */
export function buildApp(rootDir: string): { entry: string; note: string } {
  const out = buildDir(rootDir);
  const started = Date.now();
  const service = process.env.BENCH_APP_ENTRY
    ? { ok: true, errors: 0, output: '' }
    : tsc(rootDir, ['-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false']);
  const entry = appEntry(rootDir);
  if (!existsSync(entry)) throw new Error(`building the service failed:\n${service.output}`);
  if (!process.env.BENCH_APP_ENTRY) {
    // What `npm run build` copies beside the compiled code.
    spawnSync(process.execPath, ['scripts/copy-assets.js', out], {
      cwd: rootDir,
      stdio: 'inherit',
    });
  }
  mkdirSync(out, { recursive: true });
  const config = join(out, '..', 'tsconfig.baselines.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(rootDir, 'tsconfig.json'),
      compilerOptions: { outDir: out, rootDir, types: ['node'], sourceMap: false, noEmit: false },
      files: BASELINE_CHILDREN.map((f) => join(rootDir, f)),
      include: [],
    }),
  );
  const baselines = tsc(rootDir, ['-p', config]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const errors = service.errors + baselines.errors;
  const what = process.env.BENCH_APP_ENTRY
    ? `the prebuilt ${process.env.BENCH_APP_ENTRY}`
    : 'tsc on tsconfig.build.json (what `nest build` runs)';
  return {
    entry,
    note: `${what} in ${seconds} s${errors ? `, with ${errors} type error(s) in the tree (emitted anyway)` : ''}`,
  };
}

/** How to start one of BASELINE_CHILDREN: its compiled JS, or through ts-node when it was not built. */
export function baselineArgs(rootDir: string, file: string): string[] {
  const compiled = join(buildDir(rootDir), file.replace(/\.ts$/, '.js'));
  return existsSync(compiled)
    ? [compiled]
    : ['-r', 'ts-node/register/transpile-only', join(rootDir, file)];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  pid: number;
  baseUrl: string;
  logFile: string;
  child: ChildProcess;
  stop(): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
}

export interface SpawnOptions {
  /** Command arguments after node itself, e.g. [entry] or ['-r', 'ts-node/register/transpile-only', file]. */
  args: string[];
  env: Record<string, string | undefined>;
  port: number;
  logDir: string;
  name: string;
  cwd: string;
  healthPath?: string;
  startTimeoutMs?: number;
}

/** Starts a server in a child process (its own event loop) and waits until it answers its health path. */
export async function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${options.name}.log`);
  // Logs go to a file: piping them through this process would cost the load generator CPU.
  const fd = openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PORT: String(options.port) };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const tail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (exited)
      throw new Error(`${options.name} exited (${exited}) before it was healthy:\n${tail()}`);
    try {
      const res = await fetch(baseUrl + (options.healthPath ?? '/health'));
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${options.name} was not healthy within ${options.startTimeoutMs ?? 90_000} ms:\n${tail()}`,
      );
    }
    await sleep(100);
  }
  return { pid: child.pid!, baseUrl, logFile, child, stop, tail };
}

/** Forks one of BASELINE_CHILDREN with an IPC channel; its stderr comes through for errors. */
export function forkChild(
  rootDir: string,
  file: string,
  env: Record<string, string | undefined> = {},
): ChildProcess {
  const args = baselineArgs(rootDir, file);
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return fork(args[args.length - 1], [], {
    cwd: rootDir,
    env: merged,
    execArgv: args.slice(0, -1),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}
