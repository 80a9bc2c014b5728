import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { BackendName, BenchOptions } from './options';

export const BENCH_ADMIN_TOKEN = 'adm_bench_operator_token_0123456789abcdef';
const BENCH_APP_SECRET = 'bench-app-secret-0123456789abcdef0123456789';

/** One fresh store for one app start: its environment, and how to clean up after it. */
export interface BackendInstance {
  env: Record<string, string | undefined>;
  dataDir: string;
  databaseUrl?: string;
  dispose(): Promise<void>;
}

export interface Backend {
  name: BackendName;
  label: string;
  /** Why this backend is not run, when it is not. */
  unavailable?: string;
  describe: string;
  fresh(): Promise<BackendInstance>;
}

/** Runs `work` on one connection to `url` (TypeORM's postgres driver: no pg typings needed). */
async function withPostgres<T>(url: string, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource({
    type: 'postgres',
    url,
    extra: { max: 1, connectionTimeoutMillis: 3000 },
  });
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

function maintenanceUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

async function resetDatabase(url: string): Promise<void> {
  const dbName = decodeURIComponent(new URL(url).pathname.slice(1));
  await withPostgres(maintenanceUrl(url), async (ds) => {
    const exists: unknown[] = await ds.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      dbName,
    ]);
    if (exists.length === 0) await ds.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  });
  await withPostgres(url, async (ds) => {
    await ds.query('DROP SCHEMA IF EXISTS public CASCADE');
    await ds.query('CREATE SCHEMA public');
  });
}

async function postgresVersion(url: string): Promise<string> {
  return withPostgres(maintenanceUrl(url), async (ds) => {
    const rows: Array<{ server_version: string }> = await ds.query('SHOW server_version');
    return rows[0].server_version;
  });
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function baseEnv(dataDir: string, options: BenchOptions): Record<string, string | undefined> {
  return {
    DATA_DIR: dataDir,
    ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    APP_SECRET: BENCH_APP_SECRET,
    LOG_LEVEL: options.logLevel,
    SMTP_ALLOW_PRIVATE_HOSTS: 'true',
    WORKER_CONCURRENCY: options.workerConcurrency,
    // Whatever the shell running the bench has set must not leak into the app under test.
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    QUEUE_PREFIX: undefined,
    APP_ROLE: undefined,
    PORT: undefined,
  };
}

export async function resolveBackends(options: BenchOptions): Promise<Backend[]> {
  const backends: Backend[] = [];
  for (const name of options.backends) {
    if (name === 'embedded') {
      backends.push({
        name,
        label: 'SQLite + in-process queue',
        describe: 'SQLite (WAL) in a fresh DATA_DIR, in-process job queue (the embedded defaults)',
        fresh: async () => {
          const dataDir = mkdtempSync(join(tmpdir(), 'rn-bench-'));
          return {
            env: baseEnv(dataDir, options),
            dataDir,
            dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
          };
        },
      });
      continue;
    }
    const versions: string[] = [];
    const problems: string[] = [];
    await postgresVersion(options.databaseUrl).then(
      (v) => versions.push(`PostgreSQL ${v}`),
      (err: Error) =>
        problems.push(`Postgres at ${redact(options.databaseUrl)} is unreachable (${err.message})`),
    );
    await redisVersion(options.redisUrl).then(
      (v) => versions.push(`Redis ${v}`),
      (err: Error) => problems.push(`Redis at ${options.redisUrl} is unreachable (${err.message})`),
    );
    backends.push({
      name,
      label: 'Postgres + Redis (Bull)',
      unavailable: problems.length ? problems.join('; ') : undefined,
      describe: `${versions.join(', ')}; database ${redact(options.databaseUrl)} (schema reset before each start), Bull on ${options.redisUrl} with a fresh QUEUE_PREFIX per start`,
      fresh: async () => {
        await resetDatabase(options.databaseUrl);
        const dataDir = mkdtempSync(join(tmpdir(), 'rn-bench-'));
        const prefix = `rnbench${randomBytes(4).toString('hex')}`;
        return {
          env: {
            ...baseEnv(dataDir, options),
            DATABASE_URL: options.databaseUrl,
            REDIS_URL: options.redisUrl,
            QUEUE_PREFIX: prefix,
          },
          dataDir,
          databaseUrl: options.databaseUrl,
          dispose: async () => {
            rmSync(dataDir, { recursive: true, force: true });
            await deleteRedisPrefix(options.redisUrl, prefix).catch(() => undefined);
          },
        };
      },
    });
  }
  return backends;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
