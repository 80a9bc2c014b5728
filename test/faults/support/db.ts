import { Pool } from 'pg';

/** Reads the database directly: it is the truth the suite checks what the service did against. */
export class Db {
  private readonly pool: Pool;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 2 });
  }

  async rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.rows<{ n: string }>(sql, params);
    return Number(row?.n ?? 0);
  }

  /** How many of a program's messages are in each status. */
  async messageStatuses(programId: string): Promise<Record<string, number>> {
    const rows = await this.rows<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM messages WHERE "programId" = $1 GROUP BY status',
      [programId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async eventStatuses(programId: string): Promise<Record<string, number>> {
    const rows = await this.rows<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM events WHERE "programId" = $1 GROUP BY status',
      [programId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Rows in every table of the schema, for "a refused write stored nothing". */
  async tableCounts(): Promise<Record<string, number>> {
    const tables = await this.rows<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations' ORDER BY table_name",
    );
    if (tables.length === 0) return {};
    const sql = `SELECT ${tables.map((t, i) => `(SELECT count(*) FROM "${t.table_name}") AS c${i}`).join(', ')}`;
    const [row] = await this.rows<Record<string, string>>(sql);
    return Object.fromEntries(tables.map((t, i) => [t.table_name, Number(row[`c${i}`])]));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export const statusLine = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';
