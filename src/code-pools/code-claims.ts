import type { EntityManager, Repository } from 'typeorm';
import { EntityQueries } from '../database/entity-queries';
import { PoolCode } from './pool-code.entity';

/**
 * The claim of one code: a single UPDATE of the oldest available code of the pool, returning it.
 * On Postgres the row is picked with FOR UPDATE SKIP LOCKED, so concurrent claims each take a
 * different code without waiting for one another; SQLite runs one write at a time. Either way a
 * code is never handed out twice: the UPDATE changes only a row still `available`.
 */
export class CodeClaims {
  private readonly queries: EntityQueries<PoolCode>;
  private readonly claimStatement: ReturnType<EntityQueries<PoolCode>['statement']>;
  private readonly giveBackStatement: ReturnType<EntityQueries<PoolCode>['statement']>;

  constructor(repository: Repository<PoolCode>) {
    this.queries = new EntityQueries(repository);
    const postgres = repository.manager.connection.options.type === 'postgres';
    this.claimStatement = this.queries.statement(
      'claim',
      (q) =>
        `UPDATE ${q.table} SET ${q.col('status')} = 'assigned', ${q.col('rewardId')} = ${q.param('rewardId')}, ` +
        `${q.col('assignedAt')} = ${q.param('assignedAt')} ` +
        `WHERE ${q.col('id')} = (SELECT ${q.col('id')} FROM ${q.table} ` +
        `WHERE ${q.col('poolId')} = ${q.param('poolId')} AND ${q.col('programId')} = ${q.param('programId')} ` +
        `AND ${q.col('status')} = 'available' ORDER BY ${q.col('createdAt')}, ${q.col('id')} LIMIT 1` +
        `${postgres ? ' FOR UPDATE SKIP LOCKED' : ''}) ` +
        `RETURNING ${q.all}`,
    );
    this.giveBackStatement = this.queries.statement(
      'give-back',
      (q) =>
        `UPDATE ${q.table} SET ${q.col('status')} = 'available', ${q.col('rewardId')} = NULL, ${q.col('assignedAt')} = NULL ` +
        `WHERE ${q.col('rewardId')} = ${q.param('rewardId')} AND ${q.col('status')} = 'assigned'`,
    );
  }

  /** The code now assigned to `rewardId`, or null when the pool has none available. */
  async claim(
    manager: EntityManager | undefined,
    claim: { programId: string; poolId: string; rewardId: string },
    at = new Date(),
  ): Promise<string | null> {
    const [row] = await this.claimStatement.rows(
      [claim.rewardId, at, claim.poolId, claim.programId],
      manager,
    );
    return row?.code ?? null;
  }

  /** Puts the code of `rewardId` back in its pool; how many codes went back (0 or 1). */
  giveBack(manager: EntityManager | undefined, rewardId: string): Promise<number> {
    return this.giveBackStatement.run([rewardId], manager);
  }
}
