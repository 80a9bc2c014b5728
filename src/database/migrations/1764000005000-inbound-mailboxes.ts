import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestamps, timestampType } from '../migration-types';

/**
 * A program's own mailbox read over IMAP for bounces (and replies), with the lease that lets one
 * worker at a time read it; and one inbound message per message of a mailbox.
 */
export class InboundMailboxes1764000005000 implements MigrationInterface {
  name = 'InboundMailboxes1764000005000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'inbound_mailboxes',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('host', 'varchar', { length: '253' }),
          col('port', 'integer'),
          col('security', 'varchar', { length: '8' }),
          col('username', 'varchar', { length: '320' }),
          col('passwordSealed', 'text'),
          col('folder', 'varchar', { length: '255' }),
          col('readMode', 'varchar', { length: '24' }),
          col('status', 'varchar', { length: '16' }),
          col('lastErrorCode', 'varchar', { length: '64', isNullable: true }),
          col('lastErrorMessage', 'text', { isNullable: true }),
          col('lastErrorAt', ts, { isNullable: true }),
          col('failures', 'integer', { default: '0' }),
          col('retryAt', ts, { isNullable: true }),
          col('uidValidity', 'bigint', { isNullable: true }),
          col('lastUid', 'bigint', { isNullable: true }),
          col('lastCheckedAt', ts, { isNullable: true }),
          col('leaseOwner', 'varchar', { length: '100', isNullable: true }),
          col('leaseUntil', ts, { isNullable: true }),
          col('version', 'integer'),
          col('verifiedAt', ts),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'inbound_mailboxes',
      new TableIndex({
        name: 'UQ_inbound_mailboxes_program',
        columnNames: ['programId'],
        isUnique: true,
      }),
    );
    // A message read again after a crash between storing it and flagging it is not stored twice.
    await runner.createIndex(
      'inbound_messages',
      new TableIndex({
        name: 'UQ_inbound_messages_mailbox_uid',
        columnNames: ['mailboxId', 'mailboxUid'],
        isUnique: true,
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('inbound_messages', 'UQ_inbound_messages_mailbox_uid');
    await runner.dropTable('inbound_mailboxes');
  }
}
