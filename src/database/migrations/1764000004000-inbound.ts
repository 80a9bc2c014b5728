import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { col, timestampType } from '../migration-types';

/**
 * Hearing back: emails that came in (bounces, complaints, replies), what was heard about each
 * outbound message, the return-path tag of each message, the forwarding tag of each program, and
 * participants created by an email they wrote.
 */
export class Inbound1764000004000 implements MigrationInterface {
  name = 'Inbound1764000004000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'inbound_messages',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36', isNullable: true }),
          col('source', 'varchar', { length: '8' }),
          col('mailboxId', 'varchar', { length: '36', isNullable: true }),
          col('mailboxUid', 'varchar', { length: '64', isNullable: true }),
          col('envelopeFrom', 'varchar', { length: '320', isNullable: true }),
          col('envelopeTo', 'varchar', { length: '320' }),
          col('raw', 'text'),
          col('size', 'integer'),
          col('status', 'varchar', { length: '16' }),
          col('kind', 'varchar', { length: '16', isNullable: true }),
          col('messageId', 'varchar', { length: '36', isNullable: true }),
          col('participantId', 'varchar', { length: '200', isNullable: true }),
          col('fromAddress', 'varchar', { length: '320', isNullable: true }),
          col('subject', 'text', { isNullable: true }),
          col('inReplyTo', 'varchar', { length: '998', isNullable: true }),
          col('summary', 'text', { isNullable: true }),
          col('error', 'text', { isNullable: true }),
          col('attempts', 'integer', { default: '0' }),
          col('lockedUntil', ts, { isNullable: true }),
          col('receivedAt', ts),
          col('processedAt', ts, { isNullable: true }),
        ],
      }),
    );
    await runner.createIndex(
      'inbound_messages',
      new TableIndex({
        name: 'IDX_inbound_messages_status',
        columnNames: ['status', 'lockedUntil'],
      }),
    );
    await runner.createIndex(
      'inbound_messages',
      new TableIndex({
        name: 'IDX_inbound_messages_program',
        columnNames: ['programId', 'receivedAt'],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'message_events',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('messageId', 'varchar', { length: '36' }),
          col('type', 'varchar', { length: '16' }),
          col('status', 'varchar', { length: '16', isNullable: true }),
          col('diagnostic', 'text', { isNullable: true }),
          col('detail', 'varchar', { length: '32', isNullable: true }),
          col('inboundId', 'varchar', { length: '36', isNullable: true }),
          col('reportId', 'varchar', { length: '64' }),
          col('at', ts),
        ],
      }),
    );
    await runner.createIndex(
      'message_events',
      new TableIndex({
        name: 'UQ_message_events_report',
        columnNames: ['messageId', 'type', 'reportId'],
        isUnique: true,
      }),
    );
    await runner.addColumn(
      'messages',
      new TableColumn(col('returnPathTag', 'varchar', { length: '32', isNullable: true })),
    );
    await runner.createIndex(
      'messages',
      new TableIndex({
        name: 'UQ_messages_return_path',
        columnNames: ['returnPathTag'],
        isUnique: true,
      }),
    );
    await runner.createIndex(
      'messages',
      new TableIndex({ name: 'IDX_messages_message_id', columnNames: ['messageId'] }),
    );
    await runner.addColumn(
      'participants',
      new TableColumn(col('source', 'varchar', { length: '16', isNullable: true })),
    );
    await runner.addColumn(
      'programs',
      new TableColumn(
        col('inboundTag', 'varchar', { length: '32', isNullable: true, isUnique: true }),
      ),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('programs', 'inboundTag');
    await runner.dropColumn('participants', 'source');
    await runner.dropIndex('messages', 'IDX_messages_message_id');
    await runner.dropIndex('messages', 'UQ_messages_return_path');
    await runner.dropColumn('messages', 'returnPathTag');
    await runner.dropTable('message_events');
    await runner.dropTable('inbound_messages');
  }
}
