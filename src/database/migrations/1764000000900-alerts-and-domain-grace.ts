import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col, timestampType } from '../migration-types';

/**
 * Messages say which sender carries them (the program's, or the platform's for alerts to the
 * program itself), and a sender domain remembers since when a verified domain fails its check.
 */
export class AlertsAndDomainGrace1764000000900 implements MigrationInterface {
  name = 'AlertsAndDomainGrace1764000000900';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn(
      'messages',
      new TableColumn(col('via', 'varchar', { length: '16', default: "'program'" })),
    );
    await runner.addColumn(
      'sender_domains',
      new TableColumn(col('failingSince', timestampType(runner), { isNullable: true })),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('sender_domains', 'failingSince');
    await runner.dropColumn('messages', 'via');
  }
}
