import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { boolDefault, col, timestamps, timestampType } from '../migration-types';

export class ProgramsParticipants1764000000000 implements MigrationInterface {
  name = 'ProgramsParticipants1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'programs',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('name', 'varchar', { length: '200' }),
          col('timezone', 'varchar', { length: '64' }),
          col('defaultLocale', 'varchar', { length: '16' }),
          col('fromName', 'varchar', { length: '200', isNullable: true }),
          col('replyTo', 'varchar', { length: '320', isNullable: true }),
          col('settings', 'text'),
          col('secretKeyHash', 'varchar', { length: '64', isUnique: true }),
          col('publishableKeyHash', 'varchar', { length: '64', isUnique: true }),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'participants',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('id', 'varchar', { length: '200', isPrimary: true }),
          col('email', 'varchar', { length: '320' }),
          col('emailLower', 'varchar', { length: '320' }),
          col('firstName', 'varchar', { length: '200', isNullable: true }),
          col('lastName', 'varchar', { length: '200', isNullable: true }),
          col('locale', 'varchar', { length: '16', isNullable: true }),
          col('country', 'varchar', { length: '2', isNullable: true }),
          col('taxFormOnFile', 'boolean', { default: boolDefault(runner, false) }),
          col('payoutDetailsOnFile', 'boolean', { default: boolDefault(runner, false) }),
          col('customFields', 'text', { isNullable: true }),
          col('emailVerifiedAt', timestampType(runner), { isNullable: true }),
          col('passwordHash', 'varchar', { length: '255', isNullable: true }),
          ...timestamps(runner),
        ],
      }),
    );
    await runner.createIndex(
      'participants',
      new TableIndex({
        name: 'IDX_participants_program_email',
        columnNames: ['programId', 'emailLower'],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('participants');
    await runner.dropTable('programs');
  }
}
