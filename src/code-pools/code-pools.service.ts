import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AfterCommit } from '../database/after-commit';
import { ProgramAlerts } from '../notifications/program-alerts';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { RewardHooks } from '../rewards/reward-hooks';
import { Reward, type RewardStatus } from '../rewards/reward.entity';
import { RewardsService } from '../rewards/rewards.service';
import { CodeClaims } from './code-claims';
import { readUpload } from './code-uploads';
import { CodePool } from './code-pool.entity';
import type { CreateCodePoolDto } from './dto/code-pool.dto';
import { PoolCode } from './pool-code.entity';

export interface CodePoolView {
  id: string;
  name: string;
  lowStockThreshold: number | null;
  available: number;
  assigned: number;
  /** At or below the threshold. */
  lowStock: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AddCodesResult {
  /** Codes added to the pool. */
  added: number;
  /** Codes refused as already in the pool, or repeated in this upload. */
  duplicates: number;
  /** Rewards that waited for a code (CODE_POOL_EMPTY) and got one of these. */
  released: number;
  pool: CodePoolView;
}

interface PoolRef {
  programId: string;
  poolId: string;
}

// Rows per INSERT: well under both databases' limits on parameters.
const INSERT_CHUNK = 500;
// Waiting rewards given a code per transaction after commit.
const RELEASE_BATCH = 50;
// Pools one sweep gives codes to; the next sweep takes the others.
const SWEPT_POOLS = 100;
// A denied or cancelled reward had not used its code: it goes back.
const GIVES_CODE_BACK: readonly RewardStatus[] = ['denied', 'cancelled'];

/**
 * Code pools: a program's banks of unique codes. A reward whose rule names a pool claims one
 * code in its own transaction (see CodeClaims); without one it waits, pending CODE_POOL_EMPTY,
 * and codes added later go to the waiting rewards oldest first. Stock at or below the pool's
 * threshold alerts settings.alertEmail once per crossing.
 */
@Injectable()
export class CodePoolsService implements OnModuleInit {
  private readonly claims: CodeClaims;

  constructor(
    @InjectRepository(CodePool) private readonly pools: Repository<CodePool>,
    @InjectRepository(PoolCode) private readonly codes: Repository<PoolCode>,
    private readonly dataSource: DataSource,
    private readonly hooks: RewardHooks,
    private readonly rewards: RewardsService,
    private readonly programs: ProgramsService,
    private readonly alerts: ProgramAlerts,
    private readonly afterCommit: AfterCommit,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.claims = new CodeClaims(codes);
  }

  onModuleInit(): void {
    this.hooks.onClaimCode({
      claim: (manager, claim) => this.claimForNewReward(manager, claim),
      giveBack: async (manager, rewardId) => {
        await this.claims.giveBack(manager, rewardId);
      },
    });
    this.hooks.onRewardStatusChanged((manager, reward, _previous, program) =>
      this.onStatusChanged(manager, reward, program),
    );
  }

  async create(programId: string, dto: CreateCodePoolDto): Promise<CodePoolView> {
    const now = new Date();
    const pool = this.pools.create({
      id: randomUUID(),
      programId,
      name: dto.name,
      lowStockThreshold: dto.lowStockThreshold ?? null,
      lowStockAlerted: false,
      lowStockAlerts: 0,
      createdAt: now,
      updatedAt: now,
    });
    await this.pools.createQueryBuilder().insert().into(CodePool).values(pool).orIgnore().execute();
    // Insert-or-ignore, then look: a name already taken is a conflict, not a 500.
    const stored = await this.pools.findOneBy({ programId, name: dto.name });
    if (!stored || stored.id !== pool.id)
      throw AppError.conflict(
        'CODE_POOL_NAME_TAKEN',
        `The program already has a code pool named ${JSON.stringify(dto.name)}; pick another name, or add codes to that pool (POST /v1/code-pools/${stored?.id ?? ':id'}/codes).`,
      );
    return this.viewOf(pool, { available: 0, assigned: 0 });
  }

  async list(programId: string): Promise<{ items: CodePoolView[] }> {
    const pools = await this.pools.find({ where: { programId }, order: { createdAt: 'ASC' } });
    const counts = await this.countsByPool(programId);
    return {
      items: pools.map((p) => this.viewOf(p, counts.get(p.id) ?? { available: 0, assigned: 0 })),
    };
  }

  async get(programId: string, id: string): Promise<CodePoolView> {
    const pool = await this.find(programId, id);
    const counts = await this.countsByPool(programId, id);
    return this.viewOf(pool, counts.get(id) ?? { available: 0, assigned: 0 });
  }

  /** The ids of the program's pools, for the rule validator. */
  async poolIds(programId: string): Promise<string[]> {
    const pools = await this.pools.find({ where: { programId }, select: { id: true } });
    return pools.map((p) => p.id);
  }

  /** Whether a reward written now would get a code (simulate): reads, claims nothing. */
  async availableCount(programId: string, poolId: string): Promise<number | null> {
    const pool = await this.pools.findOneBy({ programId, id: poolId });
    if (!pool) return null;
    return this.codes.countBy({ poolId, programId, status: 'available' });
  }

  /**
   * Adds codes (a list, or CSV text with one code per row in its first column) to the pool and,
   * in the same transaction, gives them to the rewards waiting for one, oldest first: their
   * codes are claimed before any other transaction can see them.
   */
  async addCodes(program: Program, poolId: string, body: unknown): Promise<AddCodesResult> {
    const pool = await this.find(program.id, poolId);
    const { codes: unique, received } = readUpload(body);
    const now = new Date();
    let added = 0;
    let released = 0;
    await this.dataSource.transaction(async (manager) => {
      for (let i = 0; i < unique.length; i += INSERT_CHUNK)
        added += await this.insertCodes(manager, pool, unique.slice(i, i + INSERT_CHUNK), now);
      released = await this.releaseWaiting(manager, program, pool.id, Number.POSITIVE_INFINITY);
      this.afterCommit.collect(manager, this.releaseAfterCommit, {
        programId: program.id,
        poolId: pool.id,
      });
    });
    return {
      added,
      duplicates: received - added,
      released,
      pool: await this.get(program.id, poolId),
    };
  }

  /** Deletes one available code; an assigned one is refused (409 CODE_ASSIGNED). */
  async removeCode(programId: string, poolId: string, code: string): Promise<void> {
    const pool = await this.find(programId, poolId);
    const res = await this.codes.delete({ poolId: pool.id, programId, code, status: 'available' });
    if (!res.affected) {
      const found = await this.codes.findOneBy({ poolId: pool.id, programId, code });
      if (found)
        throw AppError.conflict(
          'CODE_ASSIGNED',
          'The code is assigned to a reward and cannot be deleted; deny or cancel that reward to put it back in the pool first.',
        );
      throw new AppError(
        404,
        'CODE_NOT_FOUND',
        `The pool has no code ${JSON.stringify(code)}; check the code (it is matched exactly, after trimming spaces at the ends).`,
      );
    }
    await this.checkStock({ programId, poolId });
  }

  /**
   * Gives waiting rewards of the pool a code each, oldest first, in the caller's transaction,
   * until `limit`, the waiting rewards or the codes run out. On Postgres the rewards are taken
   * with SKIP LOCKED, so two passes at once share them out instead of waiting for each other.
   */
  async releaseWaiting(
    manager: EntityManager,
    program: Program,
    poolId: string,
    limit: number,
  ): Promise<number> {
    const postgres = manager.connection.options.type === 'postgres';
    let released = 0;
    while (released < limit) {
      const query = manager
        .createQueryBuilder(Reward, 'r')
        .where('r.codePoolId = :poolId AND r.programId = :programId', {
          poolId,
          programId: program.id,
        })
        .andWhere('r.status = :status AND r.pendingReason = :reason', {
          status: 'pending',
          reason: 'CODE_POOL_EMPTY',
        })
        .orderBy('r.createdAt', 'ASC')
        .addOrderBy('r.id', 'ASC')
        .limit(1);
      if (postgres) query.setLock('pessimistic_write').setOnLocked('skip_locked');
      const reward = await query.getOne();
      if (!reward) break;
      const code = await this.claims.claim(manager, {
        programId: program.id,
        poolId,
        rewardId: reward.id,
      });
      if (code === null) break;
      const changed = await this.rewards.transition(manager, reward, 'available', program, {
        actor: 'system',
        reason: 'code assigned',
        set: { code },
      });
      if (!changed) await this.claims.giveBack(manager, reward.id);
      else released++;
    }
    return released;
  }

  /**
   * Pools whose rewards wait while codes are available: the release pass after a commit did not
   * run (the process stopped in between). Most sweeps find none: one read.
   */
  async sweepWaiting(): Promise<{ pools: number }> {
    const waiting = await this.dataSource
      .getRepository(Reward)
      .createQueryBuilder('r')
      .select('r.programId', 'programId')
      .addSelect('r.codePoolId', 'poolId')
      .where('r.status = :status AND r.pendingReason = :reason', {
        status: 'pending',
        reason: 'CODE_POOL_EMPTY',
      })
      .andWhere(
        `EXISTS (SELECT 1 FROM "pool_codes" "c" WHERE "c"."poolId" = "r"."codePoolId" AND "c"."status" = 'available')`,
      )
      .groupBy('r.programId')
      .addGroupBy('r.codePoolId')
      .limit(SWEPT_POOLS)
      .getRawMany<PoolRef>();
    await this.releaseAfterCommit(waiting);
    return { pools: waiting.length };
  }

  private async claimForNewReward(
    manager: EntityManager,
    claim: { programId: string; poolId: string; rewardId: string },
  ): Promise<string | null> {
    const code = await this.claims.claim(manager, claim);
    const ref = { programId: claim.programId, poolId: claim.poolId };
    // Once committed: a claim may have crossed the threshold; a reward that found the pool empty
    // may have missed codes added meanwhile (their release pass could not see it yet).
    if (code !== null) this.afterCommit.collect(manager, this.checkStockAfterCommit, ref);
    else this.afterCommit.collect(manager, this.releaseAfterCommit, ref);
    return code;
  }

  private async onStatusChanged(
    manager: EntityManager,
    reward: Reward,
    program: Program,
  ): Promise<void> {
    if (!reward.codePoolId || !reward.code || !GIVES_CODE_BACK.includes(reward.status)) return;
    if (!(await this.claims.giveBack(manager, reward.id))) return;
    await manager.update(Reward, { id: reward.id }, { code: null });
    reward.code = null;
    // The oldest waiting reward gets it in this transaction, before a new reward could see it.
    await this.releaseWaiting(manager, program, reward.codePoolId, 1);
    // What is left may lift the pool above its threshold.
    this.afterCommit.collect(manager, this.releaseAfterCommit, {
      programId: reward.programId,
      poolId: reward.codePoolId,
    });
  }

  private readonly checkStockAfterCommit = async (refs: PoolRef[]): Promise<void> => {
    for (const ref of uniquePools(refs)) await this.checkStock(ref);
  };

  private readonly releaseAfterCommit = async (refs: PoolRef[]): Promise<void> => {
    for (const ref of uniquePools(refs)) {
      const program = await this.programs.findById(ref.programId);
      if (!program) continue;
      // Most passes find the pool empty: one read, no transaction.
      const any = await this.codes.findOne({
        where: { poolId: ref.poolId, programId: ref.programId, status: 'available' },
        select: { id: true },
      });
      if (any) {
        for (;;) {
          const released = await this.dataSource.transaction((manager) =>
            this.releaseWaiting(manager, program, ref.poolId, RELEASE_BATCH),
          );
          if (released < RELEASE_BATCH) break;
        }
      }
      await this.checkStock(ref);
    }
  };

  /**
   * Alerts once when the stock is at or below the threshold, and re-arms the alert when it is
   * above. Runs after the change committed, so the last of concurrent claims sees them all; the
   * conditional UPDATE lets one process send the alert of a crossing.
   */
  async checkStock({ programId, poolId }: PoolRef): Promise<void> {
    const pool = await this.pools.findOneBy({ id: poolId, programId });
    if (!pool || pool.lowStockThreshold === null) return;
    const threshold = pool.lowStockThreshold;
    // Counted up to one past the threshold: a large pool is not counted row by row on every claim.
    const seen = await this.codes.find({
      where: { poolId, programId, status: 'available' },
      select: { id: true },
      take: threshold + 1,
    });
    const available = seen.length;
    if (available > threshold) {
      if (pool.lowStockAlerted)
        await this.pools.update(
          { id: poolId, lowStockAlerted: true },
          { lowStockAlerted: false, updatedAt: new Date() },
        );
      return;
    }
    if (pool.lowStockAlerted) return;
    const program = await this.programs.findById(programId);
    if (!program) return;
    await this.dataSource.transaction(async (manager) => {
      const res = await manager.update(
        CodePool,
        { id: poolId, lowStockAlerted: false },
        {
          lowStockAlerted: true,
          lowStockAlerts: () => '"lowStockAlerts" + 1',
          updatedAt: new Date(),
        },
      );
      if (!res.affected) return;
      const { lowStockAlerts } = await manager.findOneByOrFail(CodePool, { id: poolId });
      await this.alerts.send(
        manager,
        program,
        {
          kind: 'code-pool-low-stock',
          detail: `${pool.name}: ${available} code${available === 1 ? '' : 's'} left (low-stock threshold ${threshold})`,
          consolePath: '/console',
        },
        `code-pool-low-stock:${poolId}:${lowStockAlerts}`,
      );
    });
    this.logger.info({ programId, poolId, available, threshold }, 'code pool low on stock');
  }

  private async insertCodes(
    manager: EntityManager,
    pool: CodePool,
    codes: string[],
    now: Date,
  ): Promise<number> {
    const postgres = manager.connection.options.type === 'postgres';
    const params: unknown[] = [];
    // The driver's own conversion, as the rows TypeORM writes: codes sort by it.
    const column = manager.connection
      .getMetadata(PoolCode)
      .findColumnWithPropertyName('createdAt')!;
    const at: unknown = manager.connection.driver.preparePersistentValue(now, column);
    const placeholder = () => (postgres ? `$${params.length}` : '?');
    const tuples = codes.map((code) => {
      const values = [randomUUID(), pool.programId, pool.id, code, 'available', at];
      return `(${values.map((v) => (params.push(v), placeholder())).join(', ')})`;
    });
    // A code already in the pool (or added by a concurrent upload) is skipped and counted.
    const rows: unknown = await manager.query(
      `INSERT INTO "pool_codes" ("id", "programId", "poolId", "code", "status", "createdAt") VALUES ${tuples.join(', ')} ` +
        `ON CONFLICT ("poolId", "code") DO NOTHING RETURNING "id"`,
      params,
    );
    return returnedRows(rows);
  }

  private async find(programId: string, id: string): Promise<CodePool> {
    const pool = await this.pools.findOneBy({ programId, id });
    if (!pool)
      throw new AppError(
        404,
        'CODE_POOL_NOT_FOUND',
        `The program has no code pool ${JSON.stringify(id)}; list its pools with GET /v1/code-pools.`,
      );
    return pool;
  }

  private async countsByPool(
    programId: string,
    poolId?: string,
  ): Promise<Map<string, { available: number; assigned: number }>> {
    const query = this.codes
      .createQueryBuilder('c')
      .select('c.poolId', 'poolId')
      .addSelect('c.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .where('c.programId = :programId', { programId })
      .groupBy('c.poolId')
      .addGroupBy('c.status');
    if (poolId) query.andWhere('c.poolId = :poolId', { poolId });
    const rows = await query.getRawMany<{ poolId: string; status: string; n: string | number }>();
    const counts = new Map<string, { available: number; assigned: number }>();
    for (const row of rows) {
      const c = counts.get(row.poolId) ?? { available: 0, assigned: 0 };
      if (row.status === 'available') c.available = Number(row.n);
      else c.assigned = Number(row.n);
      counts.set(row.poolId, c);
    }
    return counts;
  }

  private viewOf(pool: CodePool, counts: { available: number; assigned: number }): CodePoolView {
    return {
      id: pool.id,
      name: pool.name,
      lowStockThreshold: pool.lowStockThreshold,
      available: counts.available,
      assigned: counts.assigned,
      lowStock: pool.lowStockThreshold !== null && counts.available <= pool.lowStockThreshold,
      createdAt: new Date(pool.createdAt).toISOString(),
      updatedAt: new Date(pool.updatedAt).toISOString(),
    };
  }
}

function uniquePools(refs: PoolRef[]): PoolRef[] {
  const seen = new Map<string, PoolRef>();
  for (const ref of refs) seen.set(ref.poolId, ref);
  return [...seen.values()];
}

// Postgres answers an INSERT's rows; better-sqlite3 the rows a RETURNING yields.
function returnedRows(result: unknown): number {
  if (!Array.isArray(result)) return 0;
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0].length;
  return result.length;
}
