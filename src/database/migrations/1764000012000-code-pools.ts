import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { boolDefault, col, timestampType } from '../migration-types';

/** Code pools, their codes, and the code (and its pool) on a reward. */
export class CodePools1764000012000 implements MigrationInterface {
  name = 'CodePools1764000012000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.createTable(
      new Table({
        name: 'code_pools',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('name', 'varchar', { length: '200' }),
          col('lowStockThreshold', 'integer', { isNullable: true }),
          col('lowStockAlerted', 'boolean', { default: boolDefault(runner, false) }),
          col('lowStockAlerts', 'integer', { default: '0' }),
          col('createdAt', ts),
          col('updatedAt', ts),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_code_pools_program_name',
            columnNames: ['programId', 'name'],
            isUnique: true,
          }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'pool_codes',
        columns: [
          col('id', 'varchar', { length: '36', isPrimary: true }),
          col('programId', 'varchar', { length: '36' }),
          col('poolId', 'varchar', { length: '36' }),
          col('code', 'varchar', { length: '200' }),
          col('status', 'varchar', { length: '16' }),
          col('rewardId', 'varchar', { length: '36', isNullable: true }),
          col('assignedAt', ts, { isNullable: true }),
          col('createdAt', ts),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_pool_codes_pool_code',
            columnNames: ['poolId', 'code'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_pool_codes_pool_status_created',
            columnNames: ['poolId', 'status', 'createdAt', 'id'],
          }),
          new TableIndex({ name: 'IDX_pool_codes_reward', columnNames: ['rewardId'] }),
        ],
      }),
    );
    await runner.addColumns('rewards', [
      new TableColumn(col('codePoolId', 'varchar', { length: '36', isNullable: true })),
      new TableColumn(col('code', 'varchar', { length: '200', isNullable: true })),
    ]);
    // The rewards waiting for a pool's codes, oldest first.
    await runner.createIndex(
      'rewards',
      new TableIndex({
        name: 'IDX_rewards_pool_status_created',
        columnNames: ['codePoolId', 'status', 'createdAt'],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('rewards', 'IDX_rewards_pool_status_created');
    await runner.dropColumn('rewards', 'code');
    await runner.dropColumn('rewards', 'codePoolId');
    await runner.dropTable('pool_codes');
    await runner.dropTable('code_pools');
  }
}
