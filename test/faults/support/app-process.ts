import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { MIN_MESSAGE_CLAIM_MS } from '../../../src/config/app.config';
import { ROOT, sleep, type FaultRun } from './run';

export type Role = 'all' | 'api' | 'worker';

// Whatever a failed case leaves running is killed when the test process exits.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function logFileFor(dir: string, name: string): string {
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const taken = new Set(readdirSync(logs));
  for (let i = 1; ; i++) {
    const file = i === 1 ? `${name}.log` : `${name}-${i}.log`;
    if (!taken.has(file)) return join(logs, file);
  }
}

/** One service process (api, worker or all), its logs in a file of the run. */
export class AppProcess {
  private exited?: string;
  private readonly exit: Promise<void>;

  private constructor(
    readonly name: string,
    readonly role: Role,
    readonly port: number,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exitedWith(): string | undefined {
    return this.exited;
  }

  alive(): boolean {
    return this.exited === undefined;
  }

  /** Resident and peak resident memory of the process in kB, from /proc/<pid>/status. */
  memory(): { rssKb: number; peakKb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
  }

  static async start(
    run: FaultRun,
    name: string,
    role: Role,
    env: Record<string, string | undefined>,
  ): Promise<AppProcess> {
    const port = await freePort();
    const logFile = logFileFor(run.dir, name);
    // Logs go to a file: the secrets check reads every line at the end of the run.
    const fd = openSync(logFile, 'a');
    const merged: NodeJS.ProcessEnv = {
      ...process.env,
      ...env,
      APP_ROLE: role,
      PORT: String(port),
    };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    const child = track(
      spawn(process.execPath, [run.entry], { cwd: ROOT, env: merged, stdio: ['ignore', fd, fd] }),
    );
    closeSync(fd);
    const proc = new AppProcess(name, role, port, logFile, child);
    await proc.waitHealthy(60_000);
    return proc;
  }

  tail(lines = 20): string {
    return existsSync(this.logFile)
      ? readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n')
      : '';
  }

  async health(): Promise<number> {
    try {
      const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited)
        throw new Error(
          `${this.name} exited (${this.exited}) before it was healthy:\n${this.tail()}`,
        );
      if ((await this.health()) === 200) return;
      if (Date.now() > until) {
        await this.kill();
        throw new Error(`${this.name} was not healthy within ${timeoutMs} ms:\n${this.tail()}`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM, then SIGKILL if it has not stopped within 15 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exit;
    clearTimeout(timer);
  }

  /** Gone at once, as after a crash or an OOM kill: nothing is finished or cleaned up. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exit;
  }
}

export interface ClusterOptions {
  name: string;
  workers?: number;
  /** Role of the process that takes HTTP calls: `api`, or `all` to run jobs too. */
  apiRole?: 'api' | 'all';
  databaseUrl?: string;
  redisUrl?: string;
  /** Environment of every process. */
  env?: Record<string, string | undefined>;
  apiEnv?: Record<string, string | undefined>;
}

/** Settings that let recovery happen in seconds rather than minutes. */
export const FAST_RECOVERY = {
  JOB_ATTEMPTS: '15',
  JOB_BACKOFF_MS: '200',
  SWEEP_INTERVAL_MS: '1000',
  MESSAGE_STALE_MS: '3000',
  // The shortest claim the service accepts (the SMTP send timeouts added up) rather than the
  // default two minutes: a dead worker's claims come back that much sooner.
  MESSAGE_CLAIM_MS: String(MIN_MESSAGE_CLAIM_MS),
};

/** An API process and N workers on one database and one queue, like a deployment. */
export class Cluster {
  private constructor(
    private readonly run: FaultRun,
    readonly options: ClusterOptions,
    readonly prefix: string,
    readonly dataDir: string,
    readonly api: AppProcess,
    readonly workers: AppProcess[],
  ) {}

  static async start(run: FaultRun, options: ClusterOptions): Promise<Cluster> {
    const prefix = `rnf${randomBytes(4).toString('hex')}`;
    // One data folder for the group: .eml files written by a worker are read through the API.
    const dataDir = join(run.dir, 'data', options.name);
    mkdirSync(dataDir, { recursive: true });
    const env = Cluster.env(run, options, prefix, dataDir);
    // The API first: it runs the migrations; the workers start on the migrated schema.
    const api = await AppProcess.start(run, `${options.name}-api`, options.apiRole ?? 'api', {
      ...env,
      ...options.apiEnv,
    });
    const workers = await Promise.all(
      Array.from({ length: options.workers ?? 2 }, (_, i) =>
        AppProcess.start(run, `${options.name}-worker${i + 1}`, 'worker', {
          ...env,
          MIGRATIONS_RUN: 'false',
        }),
      ),
    );
    return new Cluster(run, options, prefix, dataDir, api, workers);
  }

  private static env(
    run: FaultRun,
    options: ClusterOptions,
    prefix: string,
    dataDir: string,
  ): Record<string, string | undefined> {
    return {
      DATABASE_URL: options.databaseUrl ?? run.databaseUrl,
      REDIS_URL: options.redisUrl ?? run.redisUrl,
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: run.adminToken,
      APP_SECRET: run.appSecret,
      LOG_LEVEL: 'info',
      SMTP_ALLOW_PRIVATE_HOSTS: 'true',
      // Sender-domain checks ask a resolver on this machine that does not answer: nothing leaves it.
      DNS_SERVERS: '127.0.0.1:9',
      // No inbound mail in this suite, and every worker on this machine would want the same port
      // for its inbound SMTP listener (a build without that listener ignores the setting).
      INBOUND_SMTP_PORT: '0',
      ...FAST_RECOVERY,
      ...options.env,
    };
  }

  /** Starts one more worker (a replacement after a kill). */
  async addWorker(): Promise<AppProcess> {
    const env = Cluster.env(this.run, this.options, this.prefix, this.dataDir);
    const worker = await AppProcess.start(
      this.run,
      `${this.options.name}-worker${this.workers.length + 1}`,
      'worker',
      { ...env, MIGRATIONS_RUN: 'false' },
    );
    this.workers.push(worker);
    return worker;
  }

  all(): AppProcess[] {
    return [this.api, ...this.workers];
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((p) => p.stop()));
    await deleteQueueKeys(this.options.redisUrl ?? this.run.redisUrl, this.prefix).catch(
      () => undefined,
    );
  }
}

/** Removes this run's queue keys only: the Redis may be shared with other work. */
export async function deleteQueueKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}
