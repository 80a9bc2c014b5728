import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export const ROOT = resolve(__dirname, '..', '..', '..');

// Compiled apart from dist/, which other work may be rebuilding while this suite runs.
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'rn-faults', 'dist');

export interface Backends {
  databaseUrl: string;
  redisUrl: string;
}

export function requireBackends(env: NodeJS.ProcessEnv = process.env): Backends {
  const databaseUrl = env.TEST_DATABASE_URL;
  const redisUrl = env.TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error(
      'The fault suite runs on Postgres and Redis and needs both TEST_DATABASE_URL and TEST_REDIS_URL, e.g.\n' +
        '  TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/rn_faults TEST_REDIS_URL=redis://127.0.0.1:6379 npm run test:faults\n' +
        'The database is emptied at the start of the run: give it one of its own.',
    );
  }
  return { databaseUrl, redisUrl };
}

/** Values that must never appear in a log line or a response body. */
export class SecretLedger {
  private readonly values = new Map<string, string>();
  // The login a password is sent with, for its SMTP AUTH PLAIN form (`\0login\0password`).
  private readonly logins = new Map<string, string>();

  add(kind: string, value: string | undefined | null, login?: string): void {
    if (!value || value.length < 6) return;
    this.values.set(value, kind);
    if (login) this.logins.set(value, login);
  }

  entries(): Array<{ kind: string; value: string; login?: string }> {
    return [...this.values].map(([value, kind]) => ({
      kind,
      value,
      login: this.logins.get(value),
    }));
  }
}

export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  text: string;
  /** The answer that shows a program's keys once (create, rotate): API keys are expected in it. */
  showsKeys: boolean;
  /** Its Cache-Control header, if any: every /v1 answer must say no-store. */
  cacheControl?: string | null;
}

/** Every response body the suite saw (load excepted), for the secrets check at the end. */
export class ResponseLog {
  readonly items: RecordedResponse[] = [];

  add(item: RecordedResponse): void {
    this.items.push(item);
  }
}

export class Report {
  readonly lines: string[] = [];

  constructor(private readonly file: string) {}

  line(caseName: string, text: string): void {
    const line = `[faults] ${caseName}: ${text}`;
    this.lines.push(line);
    writeFileSync(this.file, `${this.lines.join('\n')}\n`);
    process.stdout.write(`${line}\n`);
  }
}

export interface FaultRun extends Backends {
  dir: string;
  entry: string;
  adminToken: string;
  appSecret: string;
  secrets: SecretLedger;
  responses: ResponseLog;
  report: Report;
  startedAt: number;
}

let current: FaultRun | undefined;

/** Builds the service once, empties the test database, and sets up what the cases share. */
export async function startRun(): Promise<FaultRun> {
  if (current) return current;
  const backends = requireBackends();
  const dir = mkdtempSync(join(tmpdir(), 'rn-faults-'));
  mkdirSync(join(dir, 'logs'));
  const startedAt = Date.now();
  const entry = buildService();
  await resetDatabase(backends.databaseUrl);
  const run: FaultRun = {
    ...backends,
    dir,
    entry,
    adminToken: `adm_faults_${randomBytes(18).toString('hex')}`,
    appSecret: randomBytes(32).toString('hex'),
    secrets: new SecretLedger(),
    responses: new ResponseLog(),
    report: new Report(join(dir, 'summary.txt')),
    startedAt,
  };
  run.secrets.add('operator token', run.adminToken);
  run.secrets.add('APP_SECRET', run.appSecret);
  run.report.line(
    'setup',
    `built the service in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; logs and summary in ${dir}`,
  );
  current = run;
  return run;
}

function buildService(): string {
  // FAULTS_APP_ENTRY runs an already built service instead (a release build, or a snapshot).
  const prebuilt = process.env.FAULTS_APP_ENTRY;
  if (prebuilt) {
    if (!existsSync(prebuilt)) throw new Error(`FAULTS_APP_ENTRY=${prebuilt} does not exist`);
    return resolve(prebuilt);
  }
  // What `nest build` runs (tsc on tsconfig.build.json), into this suite's own folder.
  const res = spawnSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      BUILD_DIR,
      '--sourceMap',
      'false',
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  const entry = join(BUILD_DIR, 'src', 'main.js');
  // Type errors elsewhere in the tree still emit; only a missing entry point stops the run.
  if (!existsSync(entry))
    throw new Error(`building the service failed:\n${res.stdout}${res.stderr}`);
  const assets = spawnSync(process.execPath, ['scripts/copy-assets.js', BUILD_DIR], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (assets.status !== 0) throw new Error(`copying the build's assets failed:\n${assets.stderr}`);
  return entry;
}

async function resetDatabase(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a truthy value; fails with `what` and the last value seen. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > until)
      throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
