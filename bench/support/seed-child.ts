import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.options';
import { nowMs } from './stats';

// Runs in its own process with the app's DATABASE_URL: the entities pick their column types from
// it when they load, so one process cannot seed both SQLite and Postgres.

export interface SeedJob {
  dataDir: string;
  databaseUrl?: string;
  programId: string;
  participantId: string;
  count: number;
}

export type SeedReply = { seconds: number; note: string } | { error: string };

const CHUNK = 500;

/** Values for the rewards table by column, for a cash reward of 1 USD earned this year. */
function rewardValues(
  programId: string,
  participantId: string,
  i: number,
  createdAt: Date,
): Record<string, unknown> {
  return {
    id: randomUUID(),
    programId,
    participantId,
    ruleId: null,
    eventId: null,
    kind: 'cash',
    amount: 1,
    currency: 'USD',
    taxableCents: 100,
    status: 'available',
    effectKey: `bench-seed:${participantId}:${i}`,
    createdAt,
    updatedAt: createdAt,
  };
}

/**
 * Writes `count` earlier rewards of one participant straight into the database in bulk, and the
 * participant's running total for the year to match, as if they had come through the service.
 */
async function seed({
  dataDir,
  databaseUrl,
  programId,
  participantId,
  count,
}: SeedJob): Promise<{ seconds: number; note: string }> {
  const ds = new DataSource({
    ...dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl }),
    migrationsRun: false,
  });
  await ds.initialize();
  const started = nowMs();
  try {
    const rewards = ds.getMetadata('rewards');
    const year = new Date().getUTCFullYear();
    const jan1 = Date.UTC(year, 0, 1);
    // Spread over this year so far, so nothing about the dates is unusual.
    const step = Math.max(1, Math.floor((Date.now() - 60_000 - jan1) / count));
    const rowOf = (i: number) => {
      const values = rewardValues(programId, participantId, i, new Date(jan1 + i * step));
      const row: Record<string, unknown> = {};
      const missing: string[] = [];
      for (const column of rewards.columns) {
        const name = column.propertyName;
        if (name in values) row[name] = values[name];
        else if (!column.isNullable && column.default === undefined && !column.isGenerated)
          missing.push(name);
      }
      if (missing.length)
        throw new Error(
          `the bench does not know what to write in rewards.${missing.join(', rewards.')}; update bench/support/seed-child.ts`,
        );
      return row;
    };
    await ds.transaction(async (em) => {
      for (let from = 0; from < count; from += CHUNK) {
        const rows = Array.from({ length: Math.min(CHUNK, count - from) }, (_, k) =>
          rowOf(from + k),
        );
        await em.createQueryBuilder().insert().into(rewards.target).values(rows).execute();
      }
      const taxYears = ds.getMetadata('participant_tax_years');
      const now = new Date();
      await em
        .createQueryBuilder()
        .insert()
        .into(taxYears.target)
        .values({
          programId,
          participantId,
          year,
          totalCents: count * 100,
          w9NoticeSentAt: null,
          w9NoticeMessageId: null,
          createdAt: now,
          updatedAt: now,
        })
        .orUpdate(['totalCents', 'updatedAt'], ['programId', 'participantId', 'year'])
        .execute();
    });
    const seconds = (nowMs() - started) / 1000;
    const settled = await settle(ds);
    return {
      seconds,
      note: `rewards rows through TypeORM in chunks of ${CHUNK}, plus the participant_tax_years row holding their total; then ${settled}`,
    };
  } finally {
    await ds.destroy();
  }
}

/**
 * Leaves the database as it would be long after those rewards were written: otherwise the timed
 * writes would pay for autovacuum (Postgres) or a WAL checkpoint (SQLite) set off by the bulk load.
 */
async function settle(ds: DataSource): Promise<string> {
  if (ds.options.type === 'postgres') {
    await ds.query('VACUUM ANALYZE rewards');
    await ds.query('VACUUM ANALYZE participant_tax_years');
    const checkpoint = await ds.query('CHECKPOINT').then(
      () => ' and CHECKPOINT',
      () => '',
    );
    return `VACUUM ANALYZE of both tables${checkpoint}`;
  }
  await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
  return 'a WAL checkpoint';
}

process.once('message', (job: SeedJob) => {
  seed(job).then(
    (done) => process.send?.(done satisfies SeedReply),
    (err: Error) => process.send?.({ error: err.stack ?? err.message } satisfies SeedReply),
  );
});
