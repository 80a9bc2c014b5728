import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col, isPostgres } from '../migration-types';

// The variables that held one-time links in clear before this version.
const LINK_VARIABLES = ['verifyUrl', 'resetUrl'];

/**
 * One-time links are no longer kept in clear: a message holds them sealed until it is sent,
 * then not at all. Rows written before keep no usable link either: sent ones lose the link and
 * the body, and those not sent yet are withdrawn (the participant asks for a new link).
 */
export class SealedLinks1764000002100 implements MigrationInterface {
  name = 'SealedLinks1764000002100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn(
      'messages',
      new TableColumn(col('sealedData', 'text', { isNullable: true })),
    );
    const rows: Array<{ id: string; status: string; data: string }> = await runner.query(
      `SELECT "id", "status", "data" FROM "messages" WHERE "sensitive" = ${isPostgres(runner) ? 'true' : '1'}`,
    );
    const p = (n: number) => (isPostgres(runner) ? `$${n}` : '?');
    for (const row of rows) {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      for (const name of LINK_VARIABLES) delete data[name];
      const pending = row.status === 'queued' || row.status === 'sending';
      await runner.query(
        `UPDATE "messages" SET "data" = ${p(1)}, "html" = NULL, "text" = NULL` +
          (pending
            ? `, "status" = 'failed', "errorCode" = 'LINK_WITHDRAWN', "errorPermanent" = ${isPostgres(runner) ? 'true' : '1'}, ` +
              `"errorMessage" = 'The one-time link was withdrawn when the service was upgraded; the participant can ask for a new one.', "lockedUntil" = NULL`
            : '') +
          ` WHERE "id" = ${p(2)}`,
        [JSON.stringify(data), row.id],
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('messages', 'sealedData');
  }
}
