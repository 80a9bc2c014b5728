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
  /** The process the API is reached on. */
  server: ChildServer;
  /** Every process of the service: the server, then any worker processes. */
  processes: ChildServer[];
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
      args: serviceArgs(ctx),
      env: { ...store.env, ...env, ...serviceEnv(`${name}-${backend.name}`) },
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
    processes: [server],
    store,
    admin: new ApiClient(server.baseUrl, BENCH_ADMIN_TOKEN),
    stop: async () => {
      await server.stop();
      await store.dispose();
    },
    newProgram: (body) => createProgram(server.baseUrl, BENCH_ADMIN_TOKEN, body),
  };
}

/**
 * One API process and `workers` worker processes on one fresh store of `backend` (Redis
 * between them), as the README's several-processes deployment runs. The API starts first and
 * runs the migrations; the workers join the migrated database.
 */
export async function startCluster(
  ctx: BenchContext,
  backend: Backend,
  name: string,
  workers: number,
): Promise<RunningApp> {
  const store = await backend.fresh();
  const processes: ChildServer[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await store.dispose();
  };
  try {
    const spawn = async (role: string, i: number, env: Record<string, string>) => {
      const processName = `${name}-${backend.name}-${role}${role === 'worker' ? i + 1 : ''}`;
      return spawnServer({
        name: processName,
        args: serviceArgs(ctx),
        env: { ...store.env, APP_ROLE: role, ...env, ...serviceEnv(processName) },
        port: await freePort(),
        logDir: ctx.logDir,
        cwd: ctx.options.rootDir,
      });
    };
    processes.push(await spawn('api', 0, {}));
    const started = await Promise.allSettled(
      // Each worker listens for inbound mail as a deployed one does, on a port of its own here.
      Array.from({ length: workers }, async (_, i) =>
        spawn('worker', i, {
          MIGRATIONS_RUN: 'false',
          INBOUND_SMTP_PORT: String(await freePort()),
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await stopAll();
    throw err;
  }
  const server = processes[0];
  return {
    server,
    processes,
    store,
    admin: new ApiClient(server.baseUrl, BENCH_ADMIN_TOKEN),
    stop: stopAll,
    newProgram: (body) => createProgram(server.baseUrl, BENCH_ADMIN_TOKEN, body),
  };
}

/**
 * The service's node arguments: with BENCH_PROFILE_DIR set, each service process can write a V8
 * CPU profile to DIR/<process>.cpuprofile (see toggleProfiles).
 */
export function serviceArgs(ctx: BenchContext): string[] {
  if (!process.env.BENCH_PROFILE_DIR) return [ctx.entry];
  return ['-r', join(ctx.options.rootDir, 'bench', 'support', 'cpu-profile-preload.js'), ctx.entry];
}

/**
 * Starts, or stops and writes, the CPU profiles of the service processes when BENCH_PROFILE_DIR
 * is set; does nothing otherwise. Writing takes a moment after the call.
 */
export function toggleProfiles(processes: Array<{ pid: number }>): void {
  if (!process.env.BENCH_PROFILE_DIR) return;
  for (const p of processes) process.kill(p.pid, 'SIGWINCH');
}

/** The environment that goes with serviceArgs. */
export function serviceEnv(name: string): Record<string, string> {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? { BENCH_PROFILE_FILE: join(dir, `${name}.cpuprofile`) } : {};
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
  /** Worker processes beside one API process; none: one process with APP_ROLE=all. */
  workers = 0,
): Promise<void> {
  let app: RunningApp | undefined;
  try {
    app =
      workers > 0
        ? await startCluster(ctx, backend, name, workers)
        : await startApp(ctx, backend, name, env);
    await work(app);
  } catch (err) {
    const message = (err as Error).message.split('\n').slice(0, 15).join('\n');
    problems.push(`${name} on ${backend.label}: ${message}`);
    ctx.log(`${name} on ${backend.label} failed: ${message.split('\n')[0]}`);
  } finally {
    await app?.stop();
  }
}
