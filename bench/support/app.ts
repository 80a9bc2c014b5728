import { join } from 'node:path';
import { ApiClient, createProgram, type CreatedProgram } from './api';
import { BENCH_ADMIN_TOKEN, type Backend, type BackendInstance } from './backends';
import { freePort, spawnServer, type ChildServer } from './child';
import type { BenchOptions } from './options';

export interface BenchContext {
  options: BenchOptions;
  /** The built service's entry (dist/src/main.js or the bench's own build of it). */
  entry: string;
  logDir: string;
  log(line: string): void;
}

export interface RunningApp {
  server: ChildServer;
  store: BackendInstance;
  admin: ApiClient;
  stop(): Promise<void>;
  newProgram(body?: Record<string, unknown>): Promise<{ program: CreatedProgram; api: ApiClient }>;
}

/** Starts the built service in a child process on a fresh store of `backend`. */
export async function startApp(
  ctx: BenchContext,
  backend: Backend,
  name: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const store = await backend.fresh();
  let server: ChildServer;
  try {
    server = await spawnServer({
      name: `${name}-${backend.name}`,
      args: [ctx.entry],
      env: { ...store.env, ...env },
      port: await freePort(),
      logDir: ctx.logDir,
      cwd: ctx.options.rootDir,
    });
  } catch (err) {
    await store.dispose();
    throw err;
  }
  return {
    server,
    store,
    admin: new ApiClient(server.baseUrl, BENCH_ADMIN_TOKEN),
    stop: async () => {
      await server.stop();
      await store.dispose();
    },
    newProgram: (body) => createProgram(server.baseUrl, BENCH_ADMIN_TOKEN, body),
  };
}

export function logDirFor(rootDir: string): string {
  return join(rootDir, 'node_modules', '.cache', 'rn-bench', 'logs');
}

/** Runs `work` against a fresh app on `backend`; a failure becomes a problem line, and the app always stops. */
export async function withApp(
  ctx: BenchContext,
  backend: Backend,
  name: string,
  problems: string[],
  work: (app: RunningApp) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  let app: RunningApp | undefined;
  try {
    app = await startApp(ctx, backend, name, env);
    await work(app);
  } catch (err) {
    const message = (err as Error).message.split('\n').slice(0, 15).join('\n');
    problems.push(`${name} on ${backend.label}: ${message}`);
    ctx.log(`${name} on ${backend.label} failed: ${message.split('\n')[0]}`);
  } finally {
    await app?.stop();
  }
}
