import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, timestampType } from '../migration-types';

export class ConsoleSessions1764000000700 implements MigrationInterface {
  name = 'ConsoleSessions1764000000700';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'console_sessions',
        columns: [
          col('idHash', 'varchar', { length: '64', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('keyHash', 'varchar', { length: '64' }),
          col('csrfToken', 'varchar', { length: '64' }),
          col('expiresAt', ts),
          col('createdAt', ts),
        ],
      }),
    );
    await runner.createIndex(
      'console_sessions',
      new TableIndex({ name: 'IDX_console_sessions_program', columnNames: ['programId'] }),
    );
    await runner.createIndex(
      'console_sessions',
      new TableIndex({ name: 'IDX_console_sessions_expires', columnNames: ['expiresAt'] }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('console_sessions');
  }
}
