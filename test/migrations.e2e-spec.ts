import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.options';
import { MIGRATIONS } from '../src/database/migrations';
import { resetPostgres } from './support/test-app';

describe('Migrations', () => {
  let dataDir: string;
  let ds: DataSource;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-migrate-'));
    if (process.env.DATABASE_URL) await resetPostgres(process.env.DATABASE_URL);
    ds = new DataSource(
      dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL }),
    );
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('run from zero on a fresh database', async () => {
    const ran = await ds.runMigrations({ transaction: 'each' });
    expect(ran.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => new m().name));
  });

  it('leave nothing the entities declare missing from the schema', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert to zero and run again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await ds.showMigrations()).toBe(true);
    await ds.runMigrations({ transaction: 'each' });
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });
});
