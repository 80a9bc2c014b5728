import { QueryRunner, TableColumnOptions } from 'typeorm';

// Migrations are written once with TypeORM's Table API and run on SQLite and Postgres alike;
// these helpers pick the per-database type where the two differ.
export function timestampType(runner: QueryRunner): string {
  return runner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
}

export function isPostgres(runner: QueryRunner): boolean {
  return runner.connection.driver.options.type === 'postgres';
}

export function col(
  name: string,
  type: string,
  extra: Partial<TableColumnOptions> = {},
): TableColumnOptions {
  return { name, type, isNullable: false, ...extra };
}

export function timestamps(runner: QueryRunner): TableColumnOptions[] {
  const ts = timestampType(runner);
  return [col('createdAt', ts), col('updatedAt', ts)];
}

/** A boolean column default as each database writes it back in its schema. */
export function boolDefault(runner: QueryRunner, value: boolean): string {
  if (isPostgres(runner)) return value ? 'true' : 'false';
  return value ? '1' : '0';
}
