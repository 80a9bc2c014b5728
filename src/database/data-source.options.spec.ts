import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataSourceOptions } from './data-source.options';
import { StatementCountingLogger } from './statement-counter';

describe('dataSourceOptions', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'rn-ds-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const pool = (options: object) => (options as { extra?: { max?: number } }).extra?.max;

  it('gives Postgres a pool of DATABASE_POOL_SIZE connections, 10 when not given', () => {
    const url = 'postgres://app@db.invalid:5432/app';
    expect(pool(dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: url }))).toBe(10);
    expect(
      pool(dataSourceOptions({ DATA_DIR: dataDir, DATABASE_URL: url, DATABASE_POOL_SIZE: 3 })),
    ).toBe(3);
  });

  it('gives each data source a statement counter of its own', () => {
    const a = dataSourceOptions({ DATA_DIR: dataDir }).logger;
    const b = dataSourceOptions({ DATA_DIR: dataDir }).logger;
    expect(a).toBeInstanceOf(StatementCountingLogger);
    expect(b).toBeInstanceOf(StatementCountingLogger);
    expect(a).not.toBe(b);
    (a as StatementCountingLogger).logQuery('SELECT 1');
    (a as StatementCountingLogger).logQuery('COMMIT');
    expect((a as StatementCountingLogger).statements).toBe(2);
    expect((b as StatementCountingLogger).statements).toBe(0);
  });
});
