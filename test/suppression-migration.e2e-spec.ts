import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.options';
import { MIGRATIONS } from '../src/database/migrations';
import { SuppressionReasons1764000003000 } from '../src/database/migrations/1764000003000-suppression-reasons';
import { resetPostgres } from './support/test-app';

describe('Migration of suppression reasons (e2e)', () => {
  let dataDir: string;
  const at = MIGRATIONS.indexOf(SuppressionReasons1764000003000);
  const open = async (count: number) => {
    const ds = new DataSource({
      ...dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL }),
      migrations: MIGRATIONS.slice(0, count),
    });
    return ds.initialize();
  };
  const rows = async (ds: DataSource, columns: string[]) => {
    const found: Array<Record<string, unknown>> = await ds.query(
      `SELECT "emailLower", ${columns.map((c) => `"${c}"`).join(', ')} FROM "suppressions" ORDER BY "emailLower"`,
    );
    return found;
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-suppressions-'));
  });
  beforeEach(async () => {
    if (process.env.DATABASE_URL) await resetPostgres(process.env.DATABASE_URL);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('turns the stored SMTP codes into `rejected` with the code kept, and back on the way down', async () => {
    expect(at).toBeGreaterThan(0);
    const before = await open(at);
    try {
      await before.runMigrations({ transaction: 'each' });
      // Plain SQL: the entity describes the columns of today, not these.
      const mark = (i: number) => (before.options.type === 'postgres' ? `$${i}` : '?');
      for (const [email, reason, detail] of [
        ['ghost@example.com', 'SMTP_RECIPIENT_UNKNOWN', '550 5.1.1 No such user'],
        ['gone@example.com', 'SMTP_DOMAIN_UNKNOWN', '550 5.1.2 Bad destination domain'],
      ]) {
        await before.query(
          `INSERT INTO "suppressions" ("programId", "emailLower", "reason", "detail", "createdAt") ` +
            `VALUES (${[1, 2, 3, 4, 5].map(mark).join(', ')})`,
          ['p-1', email, reason, detail, '2026-03-01 12:00:00'],
        );
      }
    } finally {
      await before.destroy();
    }

    const after = await open(at + 1);
    try {
      const ran = await after.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual(['SuppressionReasons1764000003000']);
      expect(await rows(after, ['reason', 'code', 'detail', 'scope', 'messageId'])).toEqual([
        {
          emailLower: 'ghost@example.com',
          reason: 'rejected',
          code: 'SMTP_RECIPIENT_UNKNOWN',
          detail: '550 5.1.1 No such user',
          scope: 'all',
          messageId: null,
        },
        {
          emailLower: 'gone@example.com',
          reason: 'rejected',
          code: 'SMTP_DOMAIN_UNKNOWN',
          detail: '550 5.1.2 Bad destination domain',
          scope: 'all',
          messageId: null,
        },
      ]);

      await after.undoLastMigration({ transaction: 'each' });
      expect(await rows(after, ['reason', 'detail'])).toEqual([
        {
          emailLower: 'ghost@example.com',
          reason: 'SMTP_RECIPIENT_UNKNOWN',
          detail: '550 5.1.1 No such user',
        },
        {
          emailLower: 'gone@example.com',
          reason: 'SMTP_DOMAIN_UNKNOWN',
          detail: '550 5.1.2 Bad destination domain',
        },
      ]);
    } finally {
      await after.destroy();
    }
  });
});
