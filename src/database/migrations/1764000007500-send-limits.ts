import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { col, timestampType } from '../migration-types';

/**
 * Sending limits: the limits set on SMTP integrations and sender identities, when a waiting
 * message may go (and the account whose send it holds), and what each account's limits have
 * counted when there is no Redis to count in.
 */
export class SendLimits1764000007500 implements MigrationInterface {
  name = 'SendLimits1764000007500';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    for (const table of ['smtp_integrations', 'sender_identities']) {
      await runner.addColumns(table, [
        new TableColumn(col('limitPerMinute', 'integer', { isNullable: true })),
        new TableColumn(col('limitPerDay', 'integer', { isNullable: true })),
      ]);
    }
    await runner.addColumns('messages', [
      new TableColumn(col('notBefore', ts, { isNullable: true })),
      new TableColumn(col('limitKey', 'varchar', { length: '300', isNullable: true })),
    ]);
    await runner.createTable(
      new Table({
        name: 'send_limit_states',
        columns: [
          col('accountKey', 'varchar', { length: '300', isPrimary: true }),
          col('minuteStart', ts, { isNullable: true }),
          col('minuteCount', 'integer', { default: '0' }),
          col('dayStart', ts, { isNullable: true }),
          col('dayCount', 'integer', { default: '0' }),
          col('pausedUntil', ts, { isNullable: true }),
          col('version', 'integer'),
          col('updatedAt', ts),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('send_limit_states');
    await runner.dropColumns('messages', ['notBefore', 'limitKey']);
    for (const table of ['smtp_integrations', 'sender_identities'])
      await runner.dropColumns(table, ['limitPerMinute', 'limitPerDay']);
  }
}
