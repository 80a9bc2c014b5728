import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestamps, timestampType } from '../migration-types';

export class Triggers1764000000500 implements MigrationInterface {
  name = 'Triggers1764000000500';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'participant_tokens',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('participantId', 'varchar', { length: '200' }),
          col('purpose', 'varchar', { length: '32' }),
          col('tokenHash', 'varchar', { length: '64' }),
          col('expiresAt', ts),
          col('usedAt', ts, { isNullable: true }),
          col('createdAt', ts),
        ],
      }),
    );
    await runner.createIndex(
      'participant_tokens',
      new TableIndex({
        name: 'UQ_participant_tokens_hash',
        columnNames: ['tokenHash'],
        isUnique: true,
      }),
    );
    await runner.createIndex(
      'participant_tokens',
      new TableIndex({
        name: 'IDX_participant_tokens_participant',
        columnNames: ['programId', 'participantId', 'purpose', 'createdAt'],
      }),
    );

    await runner.createTable(
      new Table({
        name: 'participant_tax_years',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('participantId', 'varchar', { length: '200', isPrimary: true }),
          col('year', 'integer', { isPrimary: true }),
          col('totalUsd', 'decimal', { precision: 14, scale: 2 }),
          col('w9NoticeSentAt', ts, { isNullable: true }),
          col('w9NoticeMessageId', 'varchar', { length: '36', isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );

    await runner.createTable(
      new Table({
        name: 'payout_reminders',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('participantId', 'varchar', { length: '200' }),
          col('rewardId', 'varchar', { length: '64' }),
          col('intervalIndex', 'integer'),
          col('dueAt', ts),
          col('status', 'varchar', { length: '16' }),
          col('openCycle', 'boolean', { isNullable: true }),
          col('sentAt', ts, { isNullable: true }),
          col('messageId', 'varchar', { length: '36', isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    // NULL openCycle (a closed cycle) never collides, so the open cycle holds one row per interval.
    await runner.createIndex(
      'payout_reminders',
      new TableIndex({
        name: 'UQ_payout_reminders_cycle',
        columnNames: ['programId', 'participantId', 'intervalIndex', 'openCycle'],
        isUnique: true,
      }),
    );
    await runner.createIndex(
      'payout_reminders',
      new TableIndex({ name: 'IDX_payout_reminders_status_due', columnNames: ['status', 'dueAt'] }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('payout_reminders');
    await runner.dropTable('participant_tax_years');
    await runner.dropTable('participant_tokens');
  }
}
