import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { BackendInstance } from './backends';

/**
 * Counts rows in the running app's own database, from the bench process: a COUNT every few
 * milliseconds costs the service far less than paging through its API would. Read-only on SQLite
 * (WAL lets it read beside the app's writer).
 */
export class MessageCounts {
  private constructor(
    private readonly rows: <T>(sql: string, params?: unknown[]) => Promise<T[]>,
    private readonly close: () => Promise<void>,
    private readonly placeholder: (i: number) => string,
  ) {}

  static async open(store: BackendInstance): Promise<MessageCounts> {
    const postgres = store.databaseUrl !== undefined;
    const ds = new DataSource(
      postgres
        ? { type: 'postgres', url: store.databaseUrl, extra: { max: 1 } }
        : {
            type: 'better-sqlite3',
            database: join(store.dataDir, 'app.sqlite'),
            readonly: true,
            fileMustExist: true,
          },
    );
    await ds.initialize();
    return new MessageCounts(
      <T>(sql: string, params?: unknown[]) => ds.query<T[]>(sql, params),
      () => ds.destroy(),
      (i) => (postgres ? `$${i}` : '?'),
    );
  }

  private async query(sql: string, params: unknown[]): Promise<number> {
    const rows = await this.rows<{ n: string | number }>(sql, params);
    return Number(rows[0].n);
  }

  /** Outbound messages of the program in `status`. */
  messages(programId: string, status: string): Promise<number> {
    return this.query(
      `SELECT COUNT(*) AS n FROM messages WHERE "programId" = ${this.placeholder(1)} AND status = ${this.placeholder(2)}`,
      [programId, status],
    );
  }

  /** Inbound emails stored for the program, read or not (a mailbox's carry their program when stored). */
  inbound(programId: string): Promise<number> {
    return this.query(
      `SELECT COUNT(*) AS n FROM inbound_messages WHERE "programId" = ${this.placeholder(1)}`,
      [programId],
    );
  }

  /** The stored inbound emails by status, with an error of each: for a message when a wait stalls. */
  async inboundStates(): Promise<string> {
    const rows = await this.rows<{ status: string; n: string | number; error: string | null }>(
      'SELECT status, COUNT(*) AS n, MIN(error) AS error FROM inbound_messages GROUP BY status',
    );
    return `inbound emails: ${rows
      .map(
        (r) => `${r.status} ${Number(r.n)}${r.error ? ` (e.g. "${r.error.slice(0, 200)}")` : ''}`,
      )
      .join(', ')}`;
  }

  /** The program's outbound messages by status, with an error code of each. */
  async messageStates(programId: string): Promise<string> {
    const rows = await this.rows<{
      status: string;
      n: string | number;
      code: string | null;
      message: string | null;
    }>(
      `SELECT status, COUNT(*) AS n, MIN("errorCode") AS code, MIN("errorMessage") AS message FROM messages WHERE "programId" = ${this.placeholder(1)} GROUP BY status`,
      [programId],
    );
    return `messages: ${rows
      .map(
        (r) =>
          `${r.status} ${Number(r.n)}${r.code ? ` (e.g. ${r.code}: ${(r.message ?? '').slice(0, 200)})` : ''}`,
      )
      .join(', ')}`;
  }

  dispose(): Promise<void> {
    return this.close();
  }
}
