import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config/app.config';
import { resolveConfig } from '../../src/config/config.module';
import { JobQueue } from '../../src/queue/job-queue.port';
import { checkAgainstOpenApi } from './openapi-check';

export const TEST_ADMIN_TOKEN = 'adm_test_operator_token_0123456789';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: ReturnType<typeof request>;
  baseUrl: string;
  dataDir: string;
  close(): Promise<void>;
  createProgram(
    body?: Record<string, unknown>,
  ): Promise<{ id: string; secretKey: string; publishableKey: string; [k: string]: unknown }>;
}

/** Drops and recreates the public schema of the test database, so each file starts from zero. */
export async function resetPostgres(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS public CASCADE');
    await client.query('CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

// Records which backends a test run really used, so CI can tell an embedded run from a
// Postgres + Redis one.
function recordBackends(app: INestApplication): void {
  const file = process.env.TEST_BACKEND_REPORT;
  if (!file) return;
  const db = app.get(DataSource).driver.options.type;
  const queue = app.get(JobQueue).kind;
  appendFileSync(file, `${db} ${queue}\n`);
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Reset the database first (default true). A second app on the same data passes false. */
  fresh?: boolean;
  dataDir?: string;
  queuePrefix?: string;
  /**
   * The process role. Without Redis the configuration refuses `api` and `worker` (their processes
   * must share a queue); a test of what each role mounts sets it after validation.
   */
  role?: AppConfig['APP_ROLE'];
}

export async function startTestApp(options: StartOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rn-test-'));
  if (options.fresh !== false && process.env.DATABASE_URL)
    await resetPostgres(process.env.DATABASE_URL);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    APP_SECRET: 'test-app-secret-0123456789abcdef0123456789',
    QUEUE_PREFIX: options.queuePrefix ?? `rnt${randomBytes(4).toString('hex')}`,
    JOB_BACKOFF_MS: '50',
    SWEEP_INTERVAL_MS: '200',
    PORT: '0',
    // Many apps run at once in the suite: a test that needs the inbound listener gives it a port.
    INBOUND_SMTP_PORT: '0',
    ...options.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const config = resolveConfig(env);
  if (options.role) config.APP_ROLE = options.role;
  const app = await createApp(config);
  // With TEST_OPENAPI_REPORT set, every answer is checked against the OpenAPI document.
  const openApi = checkAgainstOpenApi(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  config.PUBLIC_BASE_URL = options.env?.PUBLIC_BASE_URL ?? config.PUBLIC_BASE_URL;
  recordBackends(app);
  const http = request(app.getHttpServer());
  return {
    app,
    config,
    http,
    baseUrl: `http://127.0.0.1:${address.port}`,
    dataDir,
    async close() {
      openApi.flush();
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async createProgram(body = {}) {
      const res = await request(app.getHttpServer())
        .post('/v1/programs')
        .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
        .send({ name: 'Test program', ...body });
      if (res.status !== 201)
        throw new Error(`creating a program failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Polls until `check` returns a truthy value, or fails with the last value seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 15000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
