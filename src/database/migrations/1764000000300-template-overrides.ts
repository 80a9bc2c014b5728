import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, timestamps } from '../migration-types';

export class TemplateOverrides1764000000300 implements MigrationInterface {
  name = 'TemplateOverrides1764000000300';

  async up(runner: QueryRunner): Promise<void> {
    // The primary key (programId, key, locale) is the uniqueness rule and serves the look-ups
    // by program and by program + key.
    await runner.createTable(
      new Table({
        name: 'template_overrides',
        columns: [
          col('programId', 'varchar', { length: '36', isPrimary: true }),
          col('key', 'varchar', { length: '64', isPrimary: true }),
          col('locale', 'varchar', { length: '16', isPrimary: true }),
          col('subject', 'varchar', { length: '300' }),
          col('html', 'text'),
          col('text', 'text', { isNullable: true }),
          col('version', 'integer'),
          ...timestamps(runner),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('template_overrides');
  }
}
