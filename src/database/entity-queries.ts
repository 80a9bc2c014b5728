import type { DataSource, EntityManager, ObjectLiteral, Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { EntityMetadata } from 'typeorm/metadata/EntityMetadata';
import type { QueryResult } from 'typeorm/query-runner/QueryResult';

type Columns<T> = Extract<keyof T, string>;

/** What a hand-written statement is built from: escaped names, and parameters bound to columns. */
export interface StatementParts<T> {
  /** The escaped table name. */
  table: string;
  /** Every column, escaped, in entity order: for SELECT and RETURNING lists. */
  all: string;
  /** One column's escaped name. */
  col(property: Columns<T>): string;
  /** The next parameter's placeholder; its value is converted as the column's values are. */
  param(property: Columns<T>): string;
}

interface Prepared {
  sql: string;
  /** The column each parameter belongs to, in placeholder order. */
  params: ColumnMetadata[];
}

/**
 * Reads and writes on the hot paths (each event, each message) with SQL written once per shape
 * from the entity's metadata. A repository's `findOneBy` or `update` rebuilds its SQL and
 * re-parses it on every call, which costs several times what the database itself does for a
 * read by key. Values pass through the driver's own conversions both ways, so an entity comes
 * back exactly as the repository would return it, on SQLite and Postgres alike.
 */
export class EntityQueries<T extends ObjectLiteral> {
  private readonly shapes = new Map<string, Prepared>();

  constructor(private readonly repository: Repository<T>) {}

  /** The row whose columns equal `where`, or null. */
  async findOne(where: Partial<T>, manager?: EntityManager): Promise<T | null> {
    const keys = keysOf(where);
    const prepared = this.shape(
      `find:${keys.join(',')}`,
      (s) => `SELECT ${s.all} FROM ${s.table} WHERE ${equalities(s, keys)} LIMIT 1`,
    );
    const rows = await this.rows(
      prepared,
      keys.map((k) => where[k]),
      manager,
    );
    return rows[0] ?? null;
  }

  /** Inserts one row; with `ignoreConflict`, a row that breaks a unique index is skipped. Returns the rows written (0 or 1). */
  async insert(
    values: Partial<T>,
    options: { ignoreConflict?: boolean; manager?: EntityManager } = {},
  ): Promise<number> {
    const keys = Object.keys(values) as Columns<T>[];
    const prepared = this.shape(
      `insert:${options.ignoreConflict ? 'ignore:' : ''}${keys.join(',')}`,
      (s) => {
        const names = keys.map((k) => s.col(k)).join(', ');
        const placeholders = keys.map((k) => s.param(k)).join(', ');
        return `INSERT INTO ${s.table} (${names}) VALUES (${placeholders})${options.ignoreConflict ? ' ON CONFLICT DO NOTHING' : ''}`;
      },
    );
    return changed(
      await this.execute(
        prepared,
        keys.map((k) => values[k]),
        options.manager,
      ),
    );
  }

  /** The rows whose columns equal `where` and whose `column` is one of `values` (none when `values` is empty). */
  async findIn<K extends Columns<T>>(
    where: Partial<T>,
    column: K,
    values: T[K][],
    manager?: EntityManager,
  ): Promise<T[]> {
    if (values.length === 0) return [];
    const keys = keysOf(where);
    // Not kept: one shape per list length would fill the map with statements used once.
    const prepared = this.build((s) => {
      // Placeholders are numbered as they are made: the conditions first, as the values are given.
      const conditions = keys.length > 0 ? [equalities(s, keys)] : [];
      conditions.push(`${s.col(column)} IN (${values.map(() => s.param(column)).join(', ')})`);
      return `SELECT ${s.all} FROM ${s.table} WHERE ${conditions.join(' AND ')}`;
    });
    return this.rows(prepared, [...keys.map((k) => where[k]), ...values], manager);
  }

  /**
   * Inserts several rows in one statement; every row must have the same columns. With
   * `ignoreConflict`, rows that break a unique index are skipped. Answers the `returning` column
   * of the rows written.
   */
  async insertMany<K extends Columns<T>>(
    rows: Partial<T>[],
    options: { returning: K; ignoreConflict?: boolean; manager?: EntityManager },
  ): Promise<T[K][]> {
    if (rows.length === 0) return [];
    const keys = Object.keys(rows[0]) as Columns<T>[];
    const prepared = this.build((s) => {
      const tuples = rows.map(() => `(${keys.map((k) => s.param(k)).join(', ')})`).join(', ');
      const conflict = options.ignoreConflict ? ' ON CONFLICT DO NOTHING' : '';
      return `INSERT INTO ${s.table} (${keys.map((k) => s.col(k)).join(', ')}) VALUES ${tuples}${conflict} RETURNING ${s.col(options.returning)}`;
    });
    const result = await this.execute(
      prepared,
      rows.flatMap((row) => keys.map((k) => row[k])),
      options.manager,
    );
    const column = this.columnOf(options.returning);
    return (result.records ?? []).map(
      (r) =>
        this.dataSource.driver.prepareHydratedValue(
          (r as Record<string, unknown>)[column.databaseName],
          column,
        ) as T[K],
    );
  }

  /** Sets `set` on the rows whose columns equal `where`; returns how many rows changed. */
  async update(set: Partial<T>, where: Partial<T>, manager?: EntityManager): Promise<number> {
    const setKeys = Object.keys(set) as Columns<T>[];
    const whereKeys = keysOf(where);
    const prepared = this.shape(`update:${setKeys.join(',')}:${whereKeys.join(',')}`, (s) => {
      const assignments = setKeys.map((k) => `${s.col(k)} = ${s.param(k)}`).join(', ');
      return `UPDATE ${s.table} SET ${assignments} WHERE ${equalities(s, whereKeys)}`;
    });
    const values = [...setKeys.map((k) => set[k]), ...whereKeys.map((k) => where[k])];
    return changed(await this.execute(prepared, values, manager));
  }

  /**
   * Sets each row's own values in one statement: `rows` all have the same keys, `by` among
   * them names the row to change, `where` adds conditions every row must meet (its status, say).
   * Answers the `by` values of the rows changed. One round trip for many rows where `update`
   * takes one per row.
   */
  async updateEach<K extends Columns<T>>(
    rows: Partial<T>[],
    options: { by: K; where?: Partial<T>; manager?: EntityManager },
  ): Promise<T[K][]> {
    if (rows.length === 0) return [];
    const keys = Object.keys(rows[0]) as Columns<T>[];
    const setKeys = keys.filter((k) => k !== options.by);
    const whereKeys = keysOf(options.where ?? {});
    const { driver } = this.dataSource;
    // Postgres types a VALUES list from its text: each value is cast to its column's type.
    const typed = (s: StatementParts<T>, k: Columns<T>): string =>
      driver.options.type === 'postgres'
        ? `CAST(${s.param(k)} AS ${driver.normalizeType(this.columnOf(k))})`
        : s.param(k);
    const prepared = this.build((s) => {
      const tuples = rows.map(() => `(${keys.map((k) => typed(s, k)).join(', ')})`).join(', ');
      const names = keys.map((_, i) => `c${i}`).join(', ');
      const v = (k: Columns<T>) => `v.c${keys.indexOf(k)}`;
      const assignments = setKeys.map((k) => `${s.col(k)} = ${v(k)}`).join(', ');
      const conditions = [
        `${s.table}.${s.col(options.by)} = ${v(options.by)}`,
        ...whereKeys.map((k) => `${s.table}.${s.col(k)} = ${s.param(k)}`),
      ];
      return (
        `WITH v (${names}) AS (VALUES ${tuples}) UPDATE ${s.table} SET ${assignments} FROM v ` +
        `WHERE ${conditions.join(' AND ')} RETURNING ${s.table}.${s.col(options.by)}`
      );
    });
    const values = [
      ...rows.flatMap((row) => keys.map((k) => row[k])),
      ...whereKeys.map((k) => options.where![k]),
    ];
    const result = await this.execute(prepared, values, options.manager);
    const column = this.columnOf(options.by);
    return (result.records ?? []).map(
      (r) =>
        driver.prepareHydratedValue(
          (r as Record<string, unknown>)[column.databaseName],
          column,
        ) as T[K],
    );
  }

  /**
   * A hand-written statement whose shape is used once (an IN list of this length, say): built,
   * not kept. Answers the rows it yields as entities.
   */
  once(build: (s: StatementParts<T>) => string, values: unknown[], manager?: EntityManager) {
    return this.rows(this.build(build), values, manager);
  }

  /**
   * A hand-written statement, built once from escaped names and placeholders. `rows` reads what
   * it yields as entities (a SELECT, or RETURNING `all`); `run` answers how many rows changed.
   */
  statement(name: string, build: (s: StatementParts<T>) => string) {
    const prepared = () => this.shape(`statement:${name}`, build);
    return {
      rows: (values: unknown[], manager?: EntityManager) => this.rows(prepared(), values, manager),
      run: async (values: unknown[], manager?: EntityManager) =>
        changed(await this.execute(prepared(), values, manager)),
    };
  }

  // Read when first used, so a service can be built around a repository before the database is up.
  private get metadata(): EntityMetadata {
    return this.repository.metadata;
  }

  private get dataSource(): DataSource {
    return this.repository.manager.connection;
  }

  private columnOf(property: string): ColumnMetadata {
    const found = this.metadata.findColumnWithPropertyName(property);
    if (!found) throw new Error(`${this.metadata.name} has no column ${property}`);
    return found;
  }

  private shape(key: string, build: (s: StatementParts<T>) => string): Prepared {
    const known = this.shapes.get(key);
    if (known) return known;
    const prepared = this.build(build);
    this.shapes.set(key, prepared);
    return prepared;
  }

  private build(build: (s: StatementParts<T>) => string): Prepared {
    const { driver } = this.dataSource;
    const metadata = this.metadata;
    const params: ColumnMetadata[] = [];
    const column = (property: string): ColumnMetadata => this.columnOf(property);
    const sql = build({
      table: driver.escape(metadata.tableName),
      all: metadata.columns.map((c) => driver.escape(c.databaseName)).join(', '),
      col: (property) => driver.escape(column(property).databaseName),
      param: (property) => {
        params.push(column(property));
        return driver.createParameter(`p${params.length}`, params.length - 1);
      },
    });
    return { sql, params };
  }

  private async rows(prepared: Prepared, values: unknown[], manager?: EntityManager): Promise<T[]> {
    const result = await this.execute(prepared, values, manager);
    return (result.records ?? []).map((row) => this.hydrate(row as Record<string, unknown>));
  }

  private async execute(
    prepared: Prepared,
    values: unknown[],
    manager?: EntityManager,
  ): Promise<QueryResult> {
    const { driver } = this.dataSource;
    const params = values.map((value, i) =>
      prepared.params[i] ? driver.preparePersistentValue(value, prepared.params[i]) : value,
    );
    const own = manager?.queryRunner;
    const runner = own ?? this.dataSource.createQueryRunner();
    try {
      return await runner.query(prepared.sql, params, true);
    } finally {
      if (!own) await runner.release();
    }
  }

  private hydrate(row: Record<string, unknown>): T {
    const { driver } = this.dataSource;
    const metadata = this.metadata;
    const entity = metadata.create() as T;
    for (const column of metadata.columns) {
      column.setEntityValue(entity, driver.prepareHydratedValue(row[column.databaseName], column));
    }
    return entity;
  }
}

// better-sqlite3 reports no count for a statement that returns rows (RETURNING): count them.
function changed(result: QueryResult): number {
  return result.affected ?? result.records?.length ?? 0;
}

// `column = NULL` matches nothing: a null in a condition is a mistake, not a filter.
function keysOf<T>(where: Partial<T>): Columns<T>[] {
  const keys = Object.keys(where) as Columns<T>[];
  const empty = keys.find((k) => where[k] === null || where[k] === undefined);
  if (empty) throw new Error(`the condition on ${empty} has no value`);
  return keys;
}

function equalities<T>(s: StatementParts<T>, keys: Columns<T>[]): string {
  return keys.map((k) => `${s.col(k)} = ${s.param(k)}`).join(' AND ');
}
