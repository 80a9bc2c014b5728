import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col } from '../migration-types';

// The system emails as they were when categories came in; every other key was a program's own.
const TRANSACTIONAL = [
  'verification',
  'password-reset',
  'password-changed',
  'w9-required',
  'payout-reminder',
];

/** Each message records the category it was sent in (transactional, rewards, marketing, ...). */
export class MessageCategories1764000000800 implements MigrationInterface {
  name = 'MessageCategories1764000000800';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn(
      'messages',
      new TableColumn(col('category', 'varchar', { length: '32', default: "'marketing'" })),
    );
    const keys = TRANSACTIONAL.map((_, i) =>
      runner.connection.driver.options.type === 'postgres' ? `$${i + 1}` : '?',
    );
    await runner.query(
      `UPDATE "messages" SET "category" = 'transactional' WHERE "templateKey" IN (${keys.join(', ')})`,
      TRANSACTIONAL,
    );
    await runner.query(
      `UPDATE "messages" SET "category" = 'rewards' WHERE "templateKey" = 'reward-earned'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropColumn('messages', 'category');
  }
}
