import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.options';
import { MIGRATIONS } from '../src/database/migrations';
import { MoneyInCents1764000001100 } from '../src/database/migrations/1764000001100-money-in-cents';
import { resetPostgres } from './support/test-app';

// Rows as an older version left them: dollars in decimal columns (on SQLite, floats as given).
const REWARDS: Array<[string, number, number]> = [
  // [id, taxableUsd written, cents expected]
  ['r-sub-cent', 599.0049, 59900],
  ['r-cents', 300.01, 30001],
  ['r-dime', 0.1, 10],
  ['r-zero', 0, 0],
  ['r-large', 12345678.9, 1234567890],
];
// A total summed in floating point, as SQLite kept it: 0.1 + 0.2.
const TOTALS: Array<[string, number, number]> = [
  ['t-float', 0.1 + 0.2, 30],
  ['t-cents', 599.01, 59901],
];

describe('Migration of money to cents (e2e)', () => {
  let dataDir: string;
  const at = MIGRATIONS.indexOf(MoneyInCents1764000001100);
  const open = async (count: number) => {
    const ds = new DataSource({
      ...dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL }),
      migrations: MIGRATIONS.slice(0, count),
    });
    return ds.initialize();
  };
  const rows = async (ds: DataSource, table: string, column: string) => {
    const key = table === 'rewards' ? 'id' : 'participantId';
    const found: Array<{ key: string; value: string | number }> = await ds.query(
      `SELECT "${key}" AS "key", "${column}" AS "value" FROM "${table}"`,
    );
    return Object.fromEntries(found.map((r) => [r.key, Number(r.value)]));
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-cents-'));
    if (process.env.DATABASE_URL) await resetPostgres(process.env.DATABASE_URL);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('turns decimal dollars into exact cents on the way up, and back on the way down', async () => {
    expect(at).toBeGreaterThan(0);
    const before = await open(at);
    try {
      await before.runMigrations({ transaction: 'each' });
      const when = '2026-03-01 12:00:00';
      // Plain SQL: the entities describe the columns of today, not these.
      const insert = (table: string, values: Record<string, unknown>) => {
        const names = Object.keys(values);
        const marks = names.map((_, i) => (before.options.type === 'postgres' ? `$${i + 1}` : '?'));
        return before.query(
          `INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${marks.join(', ')})`,
          Object.values(values),
        );
      };
      for (const [id, usd] of REWARDS) {
        await insert('rewards', {
          id,
          programId: 'p-1',
          participantId: 'a',
          kind: 'gift_card',
          amount: usd,
          currency: 'USD',
          taxableUsd: usd,
          status: 'available',
          createdAt: when,
          updatedAt: when,
        });
      }
      for (const [participantId, usd] of TOTALS) {
        await insert('participant_tax_years', {
          programId: 'p-1',
          participantId,
          year: 2026,
          totalUsd: usd,
          createdAt: when,
          updatedAt: when,
        });
      }
    } finally {
      await before.destroy();
    }

    const after = await open(at + 1);
    try {
      const ran = await after.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual(['MoneyInCents1764000001100']);
      expect(await rows(after, 'rewards', 'taxableCents')).toEqual(
        Object.fromEntries(REWARDS.map(([id, , cents]) => [id, cents])),
      );
      expect(await rows(after, 'participant_tax_years', 'totalCents')).toEqual(
        Object.fromEntries(TOTALS.map(([id, , cents]) => [id, cents])),
      );

      await after.undoLastMigration({ transaction: 'each' });
      expect(await rows(after, 'rewards', 'taxableUsd')).toEqual(
        Object.fromEntries(REWARDS.map(([id, , cents]) => [id, cents / 100])),
      );
      expect(await rows(after, 'participant_tax_years', 'totalUsd')).toEqual(
        Object.fromEntries(TOTALS.map(([id, , cents]) => [id, cents / 100])),
      );
    } finally {
      await after.destroy();
    }
  });
});
