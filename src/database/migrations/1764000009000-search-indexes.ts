import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import { isPostgres } from '../migration-types';

/**
 * Indexes for the searches a new user makes: the operator's list of programs (newest first), and
 * the message log by the beginning of a recipient's address and by test sends.
 *
 * The recipient index is written per database, as no portable index serves a case-insensitive
 * prefix: Postgres matches `lower("toEmail") LIKE 'ana%'` with text_pattern_ops (whatever the
 * database's collation), SQLite its case-insensitive LIKE with a NOCASE index. Test sends are a
 * few rows among many: a partial index holds only them, so it costs other writes nothing.
 */
export class SearchIndexes1764000009000 implements MigrationInterface {
  name = 'SearchIndexes1764000009000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createIndex(
      'programs',
      new TableIndex({ name: 'IDX_programs_created', columnNames: ['createdAt'] }),
    );
    await runner.query(
      isPostgres(runner)
        ? 'CREATE INDEX "IDX_messages_program_recipient" ON "messages" ("programId", lower("toEmail") text_pattern_ops)'
        : 'CREATE INDEX "IDX_messages_program_recipient" ON "messages" ("programId", "toEmail" COLLATE NOCASE)',
    );
    await runner.query(
      `CREATE INDEX "IDX_messages_test_sends" ON "messages" ("programId", "createdAt") WHERE "dedupeKey" LIKE 'template-test:%'`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX "IDX_messages_test_sends"');
    await runner.query('DROP INDEX "IDX_messages_program_recipient"');
    await runner.dropIndex('programs', 'IDX_programs_created');
  }
}
