import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { col, timestampType } from '../migration-types';

/**
 * Reward states and their history: the columns a held, approved, referenced or expiring reward
 * needs, and one history row per change. Every existing reward keeps its state (available, paid
 * and cancelled are states of the new model), and its history is written from what the row
 * says: created available at createdAt, then paid at paidAt or cancelled at cancelledAt.
 */
export class RewardStates1764000010000 implements MigrationInterface {
  name = 'RewardStates1764000010000';

  async up(runner: QueryRunner): Promise<void> {
    const ts = timestampType(runner);
    await runner.addColumns('rewards', [
      new TableColumn(col('pendingReason', 'varchar', { length: '32', isNullable: true })),
      new TableColumn(col('statusReason', 'varchar', { length: '500', isNullable: true })),
      new TableColumn(col('reference', 'varchar', { length: '200', isNullable: true })),
      new TableColumn(col('releaseAt', ts, { isNullable: true })),
      new TableColumn(col('expiresAfterSeconds', 'integer', { isNullable: true })),
      new TableColumn(col('expiresAt', ts, { isNullable: true })),
      new TableColumn(col('expiringNoticeAt', ts, { isNullable: true })),
      new TableColumn(col('emails', 'text', { isNullable: true })),
    ]);
    for (const [name, columns] of [
      ['IDX_rewards_program_reference', ['programId', 'reference']],
      ['IDX_rewards_status_release', ['status', 'releaseAt']],
      ['IDX_rewards_status_expires', ['status', 'expiresAt']],
      ['IDX_rewards_status_expiring', ['status', 'expiringNoticeAt']],
    ] as const) {
      await runner.createIndex('rewards', new TableIndex({ name, columnNames: [...columns] }));
    }
    await runner.createTable(
      new Table({
        name: 'reward_transitions',
        columns: [
          col('id', 'varchar', { length: '48', isPrimary: true }),
          col('rewardId', 'varchar', { length: '36' }),
          col('programId', 'varchar', { length: '36' }),
          col('from', 'varchar', { length: '16', isNullable: true }),
          col('to', 'varchar', { length: '16' }),
          col('at', ts),
          col('reason', 'varchar', { length: '500', isNullable: true }),
          col('actor', 'varchar', { length: '120' }),
        ],
        indices: [{ name: 'IDX_reward_transitions_reward_at', columnNames: ['rewardId', 'at'] }],
      }),
    );
    // The history an existing reward would have had: ids derived from the reward's, so the
    // statements are plain SQL on both databases.
    await runner.query(
      `INSERT INTO "reward_transitions" ("id", "rewardId", "programId", "from", "to", "at", "reason", "actor")
       SELECT "id" || ':created', "id", "programId", NULL, 'available', "createdAt", NULL, 'system' FROM "rewards"`,
    );
    await runner.query(
      `INSERT INTO "reward_transitions" ("id", "rewardId", "programId", "from", "to", "at", "reason", "actor")
       SELECT "id" || ':paid', "id", "programId", 'available', 'paid', "paidAt", NULL, 'api' FROM "rewards"
       WHERE "status" = 'paid' AND "paidAt" IS NOT NULL`,
    );
    await runner.query(
      `INSERT INTO "reward_transitions" ("id", "rewardId", "programId", "from", "to", "at", "reason", "actor")
       SELECT "id" || ':cancelled', "id", "programId", 'available', 'cancelled', "cancelledAt", NULL, 'api' FROM "rewards"
       WHERE "status" = 'cancelled' AND "cancelledAt" IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    // The older model knows three states; a reward in another one is refused rather than guessed.
    const [row] = (await runner.query(
      `SELECT COUNT(*) AS "n" FROM "rewards" WHERE "status" NOT IN ('available', 'paid', 'cancelled')`,
    )) as Array<{ n: number | string }>;
    if (Number(row.n) > 0)
      throw new Error(
        `${row.n} rewards are in a state the previous version does not know (pending, redeemed, denied, reversed, expired); settle them before reverting.`,
      );
    await runner.dropTable('reward_transitions');
    for (const name of [
      'IDX_rewards_status_expiring',
      'IDX_rewards_status_expires',
      'IDX_rewards_status_release',
      'IDX_rewards_program_reference',
    ])
      await runner.dropIndex('rewards', name);
    await runner.dropColumns('rewards', [
      'pendingReason',
      'statusReason',
      'reference',
      'releaseAt',
      'expiresAfterSeconds',
      'expiresAt',
      'expiringNoticeAt',
      'emails',
    ]);
  }
}
