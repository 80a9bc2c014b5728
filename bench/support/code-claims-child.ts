import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { CodeClaims } from '../../src/code-pools/code-claims';
import { PoolCode } from '../../src/code-pools/pool-code.entity';
import { dataSourceOptions } from '../../src/database/data-source.options';
import { nowMs } from './stats';

// Runs in its own process with the database's DATABASE_URL: the entities pick their column types
// from it when they load, so one process cannot measure both SQLite and Postgres.

export interface ClaimJob {
  dataDir: string;
  databaseUrl?: string;
  claims: number;
  concurrency: number;
}

export interface ClaimResult {
  servicePerSecond: number;
  baselinePerSecond: number;
  /** Claims that found no code, or codes assigned twice: both must be 0. */
  problems: string[];
}

export type ClaimReply = ClaimResult | { error: string };

const CHUNK = 500;

async function seedPool(ds: DataSource, programId: string, poolId: string, count: number) {
  const createdAt = new Date();
  for (let i = 0; i < count; i += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => ({
      id: randomUUID(),
      programId,
      poolId,
      code: `BENCH-${poolId.slice(0, 8)}-${i + j}`,
      status: 'available' as const,
      rewardId: null,
      assignedAt: null,
      createdAt,
    }));
    await ds.getRepository(PoolCode).insert(rows);
  }
}

/** `claims` claims from `concurrency` loops at once; the rate in claims per second. */
async function rate(
  claims: number,
  concurrency: number,
  claim: () => Promise<boolean>,
): Promise<{ perSecond: number; missed: number }> {
  let next = 0;
  let missed = 0;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < claims) {
        next++;
        if (!(await claim())) missed++;
      }
    }),
  );
  return { perSecond: claims / ((nowMs() - t0) / 1000), missed };
}

async function assignedTwice(ds: DataSource, poolId: string): Promise<number> {
  const rows: Array<{ n: string | number; d: string | number }> = await ds.query(
    `SELECT COUNT(*) AS n, COUNT(DISTINCT "rewardId") AS d FROM "pool_codes" WHERE "poolId" = ${ds.driver.options.type === 'postgres' ? '$1' : '?'} AND "status" = 'assigned'`,
    [poolId],
  );
  return Number(rows[0].n) - Number(rows[0].d);
}

async function run({ dataDir, databaseUrl, claims, concurrency }: ClaimJob): Promise<ClaimResult> {
  const ds = new DataSource({
    ...dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: 10 }),
    migrationsRun: false,
  });
  await ds.initialize();
  const problems: string[] = [];
  let pg: Pool | undefined;
  try {
    await ds.runMigrations();
    const programId = randomUUID();
    const servicePool = randomUUID();
    const baselinePool = randomUUID();
    await seedPool(ds, programId, servicePool, claims);
    await seedPool(ds, programId, baselinePool, claims);

    // The service's claim: CodeClaims in a transaction of its own, as a reward write runs it.
    const codes = new CodeClaims(ds.getRepository(PoolCode));
    const service = await rate(claims, concurrency, async () => {
      const code = await ds.transaction((manager) =>
        codes.claim(manager, { programId, poolId: servicePool, rewardId: randomUUID() }),
      );
      return code !== null;
    });

    // The baseline: the bare statement on the driver, one autocommitted UPDATE ... RETURNING.
    let baseline: { perSecond: number; missed: number };
    if (databaseUrl) {
      pg = new Pool({ connectionString: databaseUrl, max: 10 });
      const sql =
        `UPDATE "pool_codes" SET "status" = 'assigned', "rewardId" = $1, "assignedAt" = $2 ` +
        `WHERE "id" = (SELECT "id" FROM "pool_codes" WHERE "poolId" = $3 AND "status" = 'available' ` +
        `ORDER BY "createdAt", "id" LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING "code"`;
      const pool = pg;
      baseline = await rate(claims, concurrency, async () => {
        const res = await pool.query(sql, [randomUUID(), new Date(), baselinePool]);
        return res.rowCount === 1;
      });
    } else {
      // TypeORM's own better-sqlite3 handle: the same connection, no TypeORM in between.
      const db = (
        ds.driver as unknown as {
          databaseConnection: { prepare(sql: string): { get(...p: unknown[]): unknown } };
        }
      ).databaseConnection;
      const statement = db.prepare(
        `UPDATE "pool_codes" SET "status" = 'assigned', "rewardId" = ?, "assignedAt" = ? ` +
          `WHERE "id" = (SELECT "id" FROM "pool_codes" WHERE "poolId" = ? AND "status" = 'available' ` +
          `ORDER BY "createdAt", "id" LIMIT 1) RETURNING "code"`,
      );
      baseline = await rate(claims, 1, () =>
        Promise.resolve(
          statement.get(randomUUID(), new Date().toISOString(), baselinePool) !== undefined,
        ),
      );
    }
    if (service.missed) problems.push(`${service.missed} service claims found no code`);
    if (baseline.missed) problems.push(`${baseline.missed} baseline claims found no code`);
    for (const [name, poolId] of [
      ['service', servicePool],
      ['baseline', baselinePool],
    ] as const) {
      const twice = await assignedTwice(ds, poolId);
      if (twice) problems.push(`${twice} codes of the ${name} pool went to one reward twice`);
    }
    return {
      servicePerSecond: service.perSecond,
      baselinePerSecond: baseline.perSecond,
      problems,
    };
  } finally {
    await pg?.end();
    await ds.destroy();
  }
}

process.once('message', (job: ClaimJob) => {
  run(job).then(
    (result) => process.send!(result satisfies ClaimReply),
    (err: unknown) =>
      process.send!({ error: (err as Error).stack ?? String(err) } satisfies ClaimReply),
  );
});
