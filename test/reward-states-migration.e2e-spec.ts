import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.options';
import { MIGRATIONS } from '../src/database/migrations';
import { RewardStates1764000010000 } from '../src/database/migrations/1764000010000-reward-states';
import { resetPostgres } from './support/test-app';

// Rewards as the previous version left them: available, paid and cancelled.
const REWARDS = [
  { id: 'r-available', status: 'available', paidAt: null, cancelledAt: null },
  { id: 'r-paid', status: 'paid', paidAt: '2026-03-02 10:00:00', cancelledAt: null },
  { id: 'r-cancelled', status: 'cancelled', paidAt: null, cancelledAt: '2026-03-03 11:00:00' },
];

describe('Migration to reward states (e2e)', () => {
  let dataDir: string;
  const at = MIGRATIONS.indexOf(RewardStates1764000010000);
  const open = (count: number) =>
    new DataSource({
      ...dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL }),
      migrations: MIGRATIONS.slice(0, count),
    }).initialize();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-states-'));
    if (process.env.DATABASE_URL) await resetPostgres(process.env.DATABASE_URL);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every reward in its state and writes the history its row tells', async () => {
    expect(at).toBeGreaterThan(0);
    const before = await open(at);
    try {
      await before.runMigrations({ transaction: 'each' });
      const mark = (i: number) => (before.options.type === 'postgres' ? `$${i}` : '?');
      for (const r of REWARDS) {
        const values: Record<string, unknown> = {
          id: r.id,
          programId: 'p-1',
          participantId: 'a',
          kind: 'cash',
          amount: 10,
          currency: 'USD',
          taxableCents: 1000,
          status: r.status,
          paidAt: r.paidAt,
          cancelledAt: r.cancelledAt,
          createdAt: '2026-03-01 09:00:00',
          updatedAt: '2026-03-01 09:00:00',
        };
        const names = Object.keys(values);
        await before.query(
          `INSERT INTO "rewards" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => mark(i + 1)).join(', ')})`,
          Object.values(values),
        );
      }
    } finally {
      await before.destroy();
    }

    const after = await open(at + 1);
    try {
      const ran = await after.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual(['RewardStates1764000010000']);
      const states: Array<{ id: string; status: string; pendingReason: string | null }> =
        await after.query(`SELECT "id", "status", "pendingReason" FROM "rewards" ORDER BY "id"`);
      expect(states).toEqual([
        { id: 'r-available', status: 'available', pendingReason: null },
        { id: 'r-cancelled', status: 'cancelled', pendingReason: null },
        { id: 'r-paid', status: 'paid', pendingReason: null },
      ]);
      const history: Array<{ rewardId: string; from: string | null; to: string }> =
        await after.query(
          `SELECT "rewardId", "from", "to" FROM "reward_transitions" ORDER BY "rewardId", "at"`,
        );
      expect(history).toEqual([
        { rewardId: 'r-available', from: null, to: 'available' },
        { rewardId: 'r-cancelled', from: null, to: 'available' },
        { rewardId: 'r-cancelled', from: 'available', to: 'cancelled' },
        { rewardId: 'r-paid', from: null, to: 'available' },
        { rewardId: 'r-paid', from: 'available', to: 'paid' },
      ]);

      // Down again while every reward is in a state the previous version knows.
      await after.undoLastMigration({ transaction: 'each' });
      const back: Array<{ id: string; status: string }> = await after.query(
        `SELECT "id", "status" FROM "rewards" ORDER BY "id"`,
      );
      expect(back.map((r) => r.status)).toEqual(['available', 'cancelled', 'paid']);
      await after.runMigrations({ transaction: 'each' });
      // A reward in a new state is not squeezed into an old one: reverting refuses.
      await after.query(`UPDATE "rewards" SET "status" = 'pending' WHERE "id" = 'r-available'`);
      await expect(after.undoLastMigration({ transaction: 'each' })).rejects.toThrow(
        /1 rewards are in a state the previous version does not know/,
      );
    } finally {
      await after.destroy();
    }
  });
});
