import { resolve } from 'node:path';

export type MeasurementName =
  'ingest' | 'pipeline' | 'scale' | 'render' | 'growth' | 'inbound' | 'webhooks' | 'code-claims';
export type BackendName = 'embedded' | 'postgres-redis';

/** Every size the bench uses; each has an env variable so a slower or faster machine can scale it. */
export interface BenchOptions {
  only: MeasurementName[];
  backends: BackendName[];
  ingestConnections: number;
  ingestSeconds: number;
  pipelineEvents: number;
  /** Events posted at once while feeding the pipeline. */
  pipelineConcurrency: number;
  /** Worker processes beside one API process in the scale run, one configuration each. */
  scaleWorkers: number[];
  renderRounds: number;
  renderRoundMs: number;
  growthRuleCounts: number[];
  growthEvents: number;
  w9RewardCounts: number[];
  w9Writes: number;
  /** Bounce reports per path (listener, mailbox) and configuration. */
  inboundReports: number;
  /** SMTP connections the reports are handed to the listener over. */
  inboundConcurrency: number;
  databaseUrl: string;
  redisUrl: string;
  logLevel: string;
  workerConcurrency?: string;
  skipBuild: boolean;
  output: string;
  rootDir: string;
}

const ROOT = resolve(__dirname, '..', '..');

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function ints(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
  return list;
}

function names<T extends string>(name: string, allowed: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...allowed];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((s) => !(allowed as readonly string[]).includes(s));
  if (unknown.length)
    throw new Error(`${name}: unknown ${unknown.join(', ')}; choose from ${allowed.join(', ')}`);
  return list as T[];
}

export function benchOptions(): BenchOptions {
  return {
    only: names<MeasurementName>('BENCH_ONLY', [
      'ingest',
      'pipeline',
      'scale',
      'render',
      'growth',
      'inbound',
      'webhooks',
      'code-claims',
    ]),
    backends: names<BackendName>('BENCH_BACKENDS', ['embedded', 'postgres-redis']),
    ingestConnections: int('BENCH_INGEST_CONNECTIONS', 50),
    ingestSeconds: int('BENCH_INGEST_SECONDS', 10),
    pipelineEvents: int('BENCH_PIPELINE_EVENTS', 5000),
    pipelineConcurrency: int('BENCH_PIPELINE_CONCURRENCY', 32),
    scaleWorkers: ints('BENCH_SCALE_WORKERS', [1, 2, 4]),
    renderRounds: int('BENCH_RENDER_ROUNDS', 15),
    renderRoundMs: int('BENCH_RENDER_ROUND_MS', 500),
    growthRuleCounts: ints('BENCH_GROWTH_RULES', [10, 100, 1000]),
    growthEvents: int('BENCH_GROWTH_EVENTS', 200),
    w9RewardCounts: ints('BENCH_W9_REWARDS', [10, 1000, 100000]),
    w9Writes: int('BENCH_W9_WRITES', 30),
    inboundReports: int('BENCH_INBOUND_REPORTS', 200),
    inboundConcurrency: int('BENCH_INBOUND_CONCURRENCY', 8),
    databaseUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/rn_bench',
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
    // The service's own default: a realistic run logs every request.
    logLevel: process.env.BENCH_LOG_LEVEL || 'info',
    workerConcurrency: process.env.BENCH_WORKER_CONCURRENCY || undefined,
    skipBuild: ['1', 'true', 'yes'].includes((process.env.BENCH_SKIP_BUILD ?? '').toLowerCase()),
    output: resolve(ROOT, process.env.BENCH_OUTPUT || 'BENCHMARKS.md'),
    rootDir: ROOT,
  };
}
