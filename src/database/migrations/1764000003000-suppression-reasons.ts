import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { col } from '../migration-types';

const REASONS = ['hard_bounce', 'complaint', 'manual', 'rejected'];

/**
 * Suppressions get a reason from a fixed list, a scope, the code of what caused them and the
 * message that did. Until now the reason was the SMTP code of a refused recipient
 * (SMTP_RECIPIENT_UNKNOWN, ...): those rows become `rejected`, keeping the code in `code`.
 */
export class SuppressionReasons1764000003000 implements MigrationInterface {
  name = 'SuppressionReasons1764000003000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumns('suppressions', [
      new TableColumn(col('code', 'varchar', { length: '64', isNullable: true })),
      new TableColumn(col('messageId', 'varchar', { length: '36', isNullable: true })),
      new TableColumn(col('scope', 'varchar', { length: '32', default: "'all'" })),
    ]);
    const marks = REASONS.map((_, i) =>
      runner.connection.driver.options.type === 'postgres' ? `$${i + 1}` : '?',
    );
    await runner.query(
      `UPDATE "suppressions" SET "code" = "reason", "reason" = 'rejected' WHERE "reason" NOT IN (${marks.join(', ')})`,
      REASONS,
    );
    await runner.createIndex(
      'suppressions',
      new TableIndex({
        name: 'IDX_suppressions_program_created',
        columnNames: ['programId', 'createdAt'],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    // The older version knew no scope: every row it reads holds back every message again.
    await runner.query(
      `UPDATE "suppressions" SET "reason" = "code" WHERE "reason" = 'rejected' AND "code" IS NOT NULL`,
    );
    await runner.dropIndex('suppressions', 'IDX_suppressions_program_created');
    await runner.dropColumns('suppressions', ['scope', 'messageId', 'code']);
  }
}
