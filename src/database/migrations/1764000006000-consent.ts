import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, timestampType } from '../migration-types';

/**
 * Consent: each participant's choice per category of a program's email, and the category a
 * program gives one of its template keys.
 */
export class Consent1764000006000 implements MigrationInterface {
  name = 'Consent1764000006000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'consent_preferences',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('participantId', 'varchar', { length: '200', isPrimary: true }),
          col('category', 'varchar', { length: '32', isPrimary: true }),
          col('subscribed', 'boolean'),
          col('source', 'varchar', { length: '16' }),
          col('changedAt', ts),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'template_categories',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('templateKey', 'varchar', { length: '64', isPrimary: true }),
          col('category', 'varchar', { length: '32' }),
          col('updatedAt', ts),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('template_categories');
    await runner.dropTable('consent_preferences');
  }
}
