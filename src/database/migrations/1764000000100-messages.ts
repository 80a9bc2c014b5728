import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { boolDefault, col, timestamps, timestampType } from '../migration-types';

export class Messages1764000000100 implements MigrationInterface {
  name = 'Messages1764000000100';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'messages',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('templateKey', 'varchar', { length: '64' }),
          col('locales', 'text'),
          col('locale', 'varchar', { length: '16', isNullable: true }),
          col('toEmail', 'varchar', { length: '320' }),
          col('toName', 'varchar', { length: '200', isNullable: true }),
          col('participantId', 'varchar', { length: '200', isNullable: true }),
          col('senderId', 'varchar', { length: '200', isNullable: true }),
          col('data', 'text'),
          col('dedupeKey', 'varchar', { length: '200' }),
          col('sensitive', 'boolean', { default: boolDefault(runner, false) }),
          col('status', 'varchar', { length: '16' }),
          col('transport', 'varchar', { length: '16', isNullable: true }),
          col('attempts', 'integer', { default: '0' }),
          col('attemptLog', 'text'),
          col('subject', 'text', { isNullable: true }),
          col('html', 'text', { isNullable: true }),
          col('text', 'text', { isNullable: true }),
          col('messageId', 'varchar', { length: '255', isNullable: true }),
          col('serverResponse', 'text', { isNullable: true }),
          col('errorCode', 'varchar', { length: '64', isNullable: true }),
          col('errorMessage', 'text', { isNullable: true }),
          col('errorPermanent', 'boolean', { isNullable: true }),
          col('rejected', 'text', { isNullable: true }),
          col('lockedUntil', ts, { isNullable: true }),
          col('sentAt', ts, { isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'messages',
      new TableIndex({
        name: 'UQ_messages_program_dedupe',
        columnNames: ['programId', 'dedupeKey'],
        isUnique: true,
      }),
    );
    await runner.createIndex(
      'messages',
      new TableIndex({
        name: 'IDX_messages_status_locked',
        columnNames: ['status', 'lockedUntil'],
      }),
    );
    await runner.createIndex(
      'messages',
      new TableIndex({
        name: 'IDX_messages_program_created',
        columnNames: ['programId', 'createdAt'],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'suppressions',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('emailLower', 'varchar', { length: '320', isPrimary: true }),
          col('reason', 'varchar', { length: '64' }),
          col('detail', 'text'),
          col('createdAt', ts),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('suppressions');
    await runner.dropTable('messages');
  }
}
