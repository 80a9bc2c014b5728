import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { serializeSqliteConnections } from './sqlite-serializer';

export interface DatabaseSettings {
  DATA_DIR: string;
  DATABASE_URL?: string;
}

/** One place that turns configuration into TypeORM options, shared by the app and the CLI. */
export function dataSourceOptions(config: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
  } as const;
  if (config.DATABASE_URL) {
    return {
      ...common,
      type: 'postgres',
      url: config.DATABASE_URL,
      // Fail fast when the database is away instead of queueing requests behind a dead pool.
      extra: { max: 10, connectionTimeoutMillis: 5000 },
    };
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  serializeSqliteConnections();
  return {
    ...common,
    type: 'better-sqlite3',
    database: join(config.DATA_DIR, 'app.sqlite'),
    enableWAL: true,
    timeout: 10000,
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
