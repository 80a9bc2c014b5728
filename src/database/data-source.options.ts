import { join } from 'node:path';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { serializeSqliteConnections } from './sqlite-serializer';
import { StatementCountingLogger } from './statement-counter';

export interface DatabaseSettings {
  DATA_DIR: string;
  DATABASE_URL?: string;
  /** Connections this process may open to Postgres; 10 when not given (the CLI's one-off runs). */
  DATABASE_POOL_SIZE?: number;
}

/**
 * The data folder holds personal data, sent mail and keys: only its owner reads it. The database
 * file is created owner-only before SQLite opens it (its -wal and -shm files take its mode).
 */
export function ownerOnly(dataDir: string, database?: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  if (!database) return;
  closeSync(openSync(database, 'a', 0o600));
  chmodSync(database, 0o600);
}

/** One place that turns configuration into TypeORM options, shared by the app and the CLI. */
export function dataSourceOptions(config: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    // Counts statements for /metrics (db_statements_total); logs what the default logger would.
    logger: new StatementCountingLogger(),
  } as const;
  if (config.DATABASE_URL) {
    ownerOnly(config.DATA_DIR);
    return {
      ...common,
      type: 'postgres',
      url: config.DATABASE_URL,
      // Fail fast when the database is away instead of queueing requests behind a dead pool.
      extra: { max: config.DATABASE_POOL_SIZE ?? 10, connectionTimeoutMillis: 5000 },
    };
  }
  const database = join(config.DATA_DIR, 'app.sqlite');
  ownerOnly(config.DATA_DIR, database);
  serializeSqliteConnections();
  return {
    ...common,
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    timeout: 10000,
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
