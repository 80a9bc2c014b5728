import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import { centsToUsd } from '../common/money/cents';
import { taxableCentsOf, type RewardKind } from './reward-kinds';
import { ListRewardsQuery } from './dto/reward.dto';
import { RewardHooks } from './reward-hooks';
import { Reward, RewardStatus } from './reward.entity';
import { AfterCommit } from '../database/after-commit';
import { MetricsService } from '../metrics/metrics.service';

export interface RewardView {
  id: string;
  participantId: string;
  ruleId: string | null;
  ruleVersion: number | null;
  eventId: string | null;
  kind: RewardKind;
  amount: number;
  currency: string;
  status: RewardStatus;
  taxableUsd: number;
  paidAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toRewardView(r: Reward): RewardView {
  return {
    id: r.id,
    participantId: r.participantId,
    ruleId: r.ruleId,
    ruleVersion: r.ruleVersion,
    eventId: r.eventId,
    kind: r.kind,
    amount: Number(r.amount),
    currency: r.currency,
    status: r.status,
    taxableUsd: centsToUsd(r.taxableCents),
    paidAt: r.paidAt?.toISOString() ?? null,
    cancelledAt: r.cancelledAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export interface NewReward {
  programId: string;
  participantId: string;
  kind: RewardKind;
  amount: number;
  currency: string;
  /**
   * For kinds other than USD cash and gift cards; those always count their amount. Whole cents:
   * a fraction of a cent (here or in a taxable amount) is refused with SubCentAmountError.
   */
  taxableUsd?: number;
  ruleId?: string | null;
  ruleVersion?: number | null;
  eventId?: string | null;
  /** When set, a second write with the same key writes nothing and returns the first reward. */
  effectKey?: string | null;
}

const DEFAULT_LIST_LIMIT = 100;

@Injectable()
export class RewardsService {
  constructor(
    @InjectRepository(Reward) private readonly rewards: Repository<Reward>,
    private readonly dataSource: DataSource,
    private readonly hooks: RewardHooks,
    private readonly afterCommit: AfterCommit,
    private readonly metrics: MetricsService,
  ) {}

  // Counted once the reward's transaction committed: a rolled-back reward was never earned.
  private readonly count = async (kinds: string[]): Promise<void> => {
    for (const kind of kinds) this.metrics.rewardWritten(kind);
  };

  /**
   * Writes a reward in the caller's transaction and runs the reward-written hooks there. With an
   * effect key that is already taken, writes nothing and returns the first reward (created false).
   */
  async createInTransaction(
    manager: EntityManager,
    input: NewReward,
    context: { program: Program; participant: Participant },
  ): Promise<{ reward: Reward; created: boolean }> {
    const now = new Date();
    const reward: Reward = manager.create(Reward, {
      id: randomUUID(),
      programId: input.programId,
      participantId: input.participantId,
      ruleId: input.ruleId ?? null,
      ruleVersion: input.ruleVersion ?? null,
      eventId: input.eventId ?? null,
      effectKey: input.effectKey ?? null,
      kind: input.kind,
      amount: input.amount,
      currency: input.currency,
      taxableCents: taxableCentsOf(input),
      status: 'available',
      paidAt: null,
      cancelledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    if (reward.effectKey) {
      // Insert-or-ignore: on Postgres a failed unique insert would abort the caller's transaction.
      await manager.createQueryBuilder().insert().into(Reward).values(reward).orIgnore().execute();
      const stored = await manager.findOneBy(Reward, { effectKey: reward.effectKey });
      if (!stored) throw new Error(`reward ${reward.effectKey} was neither inserted nor found`);
      if (stored.id !== reward.id) return { reward: stored, created: false };
    } else {
      await manager.insert(Reward, reward);
    }
    await this.hooks.runRewardWritten(manager, reward, context.program, context.participant);
    this.afterCommit.collect(manager, this.count, reward.kind);
    return { reward, created: true };
  }

  async list(programId: string, query: ListRewardsQuery): Promise<{ items: RewardView[] }> {
    const rewards = await this.rewards.find({
      where: { programId, ...(query.participantId ? { participantId: query.participantId } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: query.limit ?? DEFAULT_LIST_LIMIT,
    });
    return { items: rewards.map(toRewardView) };
  }

  async get(programId: string, id: string): Promise<RewardView> {
    const reward = await this.rewards.findOneBy({ programId, id });
    if (!reward) throw AppError.notFound('Reward', id);
    return toRewardView(reward);
  }

  /** available → paid or cancelled, once; the status hooks run in the same transaction. */
  async setStatus(program: Program, id: string, status: 'paid' | 'cancelled'): Promise<RewardView> {
    return this.dataSource.transaction(async (manager) => {
      const now = new Date();
      // The status in the WHERE makes the change one atomic step: of two requests, one wins.
      const res = await manager.update(
        Reward,
        { id, programId: program.id, status: 'available' },
        { status, updatedAt: now, ...(status === 'paid' ? { paidAt: now } : { cancelledAt: now }) },
      );
      const reward = await manager.findOneBy(Reward, { id, programId: program.id });
      if (!reward) throw AppError.notFound('Reward', id);
      if (!res.affected) {
        throw AppError.conflict(
          'REWARD_STATUS_CONFLICT',
          `The reward is ${reward.status}; only an available reward can be marked paid or cancelled.`,
        );
      }
      await this.hooks.runRewardStatusChanged(manager, reward, 'available', program);
      return toRewardView(reward);
    });
  }
}
