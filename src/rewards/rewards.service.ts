import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import { centsToUsd } from '../common/money/cents';
import { taxableCentsOf, type RewardKind } from './reward-kinds';
import { ListRewardsQuery } from './dto/reward.dto';
import { RewardHooks } from './reward-hooks';
import { Reward, RewardEmailPlan, RewardStatus } from './reward.entity';
import { canTransition, REWARD_TRANSITIONS, type PendingReason } from './states/reward-states';
import { RewardTransition } from './states/reward-transition.entity';
import { AfterCommit } from '../database/after-commit';
import type { FraudVerdict } from '../fraud/fraud-checks';
import { MetricsService } from '../metrics/metrics.service';

export interface RewardHistoryEntry {
  from: RewardStatus | null;
  to: RewardStatus;
  at: string;
  reason: string | null;
  actor: string;
}

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
  /** Why a pending reward waits: HOLD, AWAITING_APPROVAL or CODE_POOL_EMPTY. */
  pendingReason: PendingReason | null;
  /** The reason given with the last change. */
  statusReason: string | null;
  /** The fraud checks' verdict, when the program runs them. */
  fraud: FraudVerdict | null;
  reference: string | null;
  /** The code pool the reward takes its code from, and the code it was given. */
  codePoolId: string | null;
  code: string | null;
  taxableUsd: number;
  releaseAt: string | null;
  expiresAt: string | null;
  paidAt: string | null;
  cancelledAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Every change, oldest first; only on a single reward. */
  history?: RewardHistoryEntry[];
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

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
    pendingReason: r.pendingReason ?? null,
    statusReason: r.statusReason ?? null,
    fraud: r.fraud ?? null,
    reference: r.reference ?? null,
    codePoolId: r.codePoolId ?? null,
    code: r.code ?? null,
    taxableUsd: centsToUsd(r.taxableCents),
    releaseAt: iso(r.releaseAt ?? null),
    expiresAt: iso(r.expiresAt ?? null),
    paidAt: iso(r.paidAt),
    cancelledAt: iso(r.cancelledAt),
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
  /** Pending (held, awaiting approval, waiting for a code) rather than available at once. */
  pending?: { reason: PendingReason; releaseAt?: Date | null } | null;
  reference?: string | null;
  expiresAfterSeconds?: number | null;
  emails?: RewardEmailPlan | null;
  /** Who wrote it, for its first history row: `rule:<id>@<version>`, `api`, `system`. */
  actor?: string;
  /** The fraud checks' verdict, kept on the reward. */
  fraud?: FraudVerdict | null;
  /** The rule's `codePool`: the reward takes one code of it, or waits (CODE_POOL_EMPTY). */
  codePoolId?: string | null;
}

/** What a transition records beside the new state. */
export interface TransitionInput {
  reason?: string | null;
  actor: string;
  /** Extra columns changed in the same UPDATE (a code, a release date). */
  set?: Partial<Reward>;
}

const DEFAULT_LIST_LIMIT = 100;
// What a refund can still take back: anything not already ended.
const REVERSIBLE: RewardStatus[] = ['pending', 'available', 'paid', 'redeemed'];

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
    const id = randomUUID();
    if (input.effectKey && input.codePoolId) {
      // Written before by a retried run: take no code for it again.
      const first = await manager.findOneBy(Reward, { effectKey: input.effectKey });
      if (first) return { reward: first, created: false };
    }
    // One code of the pool, claimed in this transaction; none left: the reward waits for one.
    const code = input.codePoolId
      ? await this.hooks
          .codes()
          .claim(manager, { programId: input.programId, poolId: input.codePoolId, rewardId: id })
      : null;
    const pending =
      input.pending ??
      (input.codePoolId && code === null ? { reason: 'CODE_POOL_EMPTY' as const } : null);
    const reward: Reward = manager.create(Reward, {
      id,
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
      status: pending ? 'pending' : 'available',
      pendingReason: pending?.reason ?? null,
      statusReason: null,
      reference: input.reference ?? null,
      releaseAt: pending?.releaseAt ?? null,
      expiresAfterSeconds: input.expiresAfterSeconds ?? null,
      ...(pending ? { expiresAt: null, expiringNoticeAt: null } : expiryOf(input, now)),
      codePoolId: input.codePoolId ?? null,
      code,
      emails: input.emails ?? null,
      fraud: input.fraud ?? null,
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
      if (stored.id !== reward.id) {
        if (code !== null) await this.hooks.codes().giveBack(manager, reward.id);
        return { reward: stored, created: false };
      }
    } else {
      await manager.insert(Reward, reward);
    }
    await manager.insert(
      RewardTransition,
      historyRow(reward, null, reward.status, now, null, input.actor ?? 'system'),
    );
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
    const rows = await this.dataSource.getRepository(RewardTransition).find({
      where: { rewardId: id },
      order: { at: 'ASC' },
    });
    // The creation row first: a change in the same millisecond sorts after it.
    rows.sort((a, b) => +a.at - +b.at || (a.from === null ? -1 : b.from === null ? 1 : 0));
    return {
      ...toRewardView(reward),
      history: rows.map((h) => ({
        from: h.from,
        to: h.to,
        at: h.at.toISOString(),
        reason: h.reason,
        actor: h.actor,
      })),
    };
  }

  /**
   * The one place a reward changes state, in the caller's transaction: the UPDATE names the
   * state it leaves, so of two concurrent changes one wins and the other gets false (nothing
   * written); the winner writes the history row and runs the status hooks (the W-9 total, the
   * emails, payout reminders) in the same transaction. Throws INVALID_TRANSITION for a change
   * the state table does not allow.
   */
  async transition(
    manager: EntityManager,
    reward: Reward,
    to: RewardStatus,
    program: Program,
    input: TransitionInput,
  ): Promise<boolean> {
    const from = reward.status;
    if (!canTransition(from, to)) throw invalidTransition(from, to);
    const now = new Date();
    const change: Partial<Reward> = {
      ...input.set,
      status: to,
      statusReason: input.reason ?? null,
      updatedAt: now,
      ...(to === 'paid' ? { paidAt: now } : {}),
      ...(to === 'cancelled' ? { cancelledAt: now } : {}),
      ...(from === 'pending' ? { pendingReason: null, releaseAt: null } : {}),
      ...(to === 'available' ? expiryOf(reward, now) : {}),
      // An ended reward has nothing left to expire or remind of.
      ...(to !== 'available' ? { expiresAt: null, expiringNoticeAt: null } : {}),
    };
    const res = await manager.update(Reward, { id: reward.id, status: from }, change);
    if (!res.affected) return false;
    Object.assign(reward, change);
    await manager.insert(
      RewardTransition,
      historyRow(reward, from, to, now, input.reason ?? null, input.actor),
    );
    await this.hooks.runRewardStatusChanged(manager, reward, from, program, {
      reason: input.reason ?? null,
      actor: input.actor,
      at: now,
    });
    return true;
  }

  /**
   * Reverses the program's rewards carrying `reference` (a pending one is cancelled: it was never
   * owed), in the caller's transaction. Each changes once however many refunds arrive together:
   * the transition's conditional UPDATE lets one of them win; the others find nothing to change.
   */
  async reverseByReference(
    manager: EntityManager,
    program: Program,
    reference: string,
    input: { reason: string; actor: string },
  ): Promise<Array<{ rewardId: string; from: RewardStatus; to: RewardStatus }>> {
    const found = await manager.find(Reward, {
      where: { programId: program.id, reference, status: In(REVERSIBLE) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const changed: Array<{ rewardId: string; from: RewardStatus; to: RewardStatus }> = [];
    for (const first of found) {
      // A change that won meanwhile (a hold released, a payout marked) is read again and
      // reversed from there; a reversal that won ends it.
      let reward: Reward | null = first;
      for (let tries = 0; reward && REVERSIBLE.includes(reward.status) && tries < 3; tries++) {
        const from: RewardStatus = reward.status;
        const to: RewardStatus = from === 'pending' ? 'cancelled' : 'reversed';
        if (await this.transition(manager, reward, to, program, input)) {
          changed.push({ rewardId: reward.id, from, to });
          break;
        }
        reward = await manager.findOneBy(Reward, { id: reward.id });
      }
    }
    return changed;
  }

  /** A change asked for through the API (PATCH /v1/rewards/:id), in a transaction of its own. */
  async setStatus(
    program: Program,
    id: string,
    status: RewardStatus,
    reason?: string,
  ): Promise<RewardView> {
    await this.dataSource.transaction(async (manager) => {
      const reward = await manager.findOneBy(Reward, { id, programId: program.id });
      if (!reward) throw AppError.notFound('Reward', id);
      if (
        reward.status === 'pending' &&
        reward.pendingReason === 'CODE_POOL_EMPTY' &&
        status === 'available'
      )
        throw AppError.conflict(
          'INVALID_TRANSITION',
          'The reward waits for a code from its pool; add codes to the pool and it becomes available with one.',
        );
      // Approved while its pool was empty (held for review first): it takes a code now, or
      // waits for one as CODE_POOL_EMPTY; never available without its code.
      let set: Partial<Reward> | undefined;
      if (
        reward.status === 'pending' &&
        status === 'available' &&
        reward.codePoolId &&
        !reward.code
      ) {
        const code = await this.hooks
          .codes()
          .claim(manager, { programId: program.id, poolId: reward.codePoolId, rewardId: id });
        if (code === null) {
          await manager.update(
            Reward,
            { id, status: 'pending' },
            {
              pendingReason: 'CODE_POOL_EMPTY',
              statusReason: reason ?? null,
              updatedAt: new Date(),
            },
          );
          return;
        }
        set = { code };
      }
      // Read and changed in one transaction; a concurrent change makes the UPDATE miss.
      if (
        !(await this.transition(manager, reward, status, program, { reason, actor: 'api', set }))
      ) {
        const now = await manager.findOneByOrFail(Reward, { id });
        throw invalidTransition(now.status, status);
      }
    });
    return this.get(program.id, id);
  }
}

function invalidTransition(from: RewardStatus, to: RewardStatus): AppError {
  const allowed = REWARD_TRANSITIONS[from];
  return AppError.conflict(
    'INVALID_TRANSITION',
    allowed.length
      ? `The reward is ${from}; it can become ${allowed.join(', ')}, not ${to}.`
      : `The reward is ${from}, which is final; it cannot become ${to}.`,
  );
}

function historyRow(
  reward: Pick<Reward, 'id' | 'programId'>,
  from: RewardStatus | null,
  to: RewardStatus,
  at: Date,
  reason: string | null,
  actor: string,
): RewardTransition {
  return {
    id: randomUUID(),
    rewardId: reward.id,
    programId: reward.programId,
    from,
    to,
    at,
    reason,
    actor,
  };
}

/** When a reward that becomes available at `now` expires, and when its reminder is due. */
function expiryOf(
  r: { expiresAfterSeconds?: number | null; emails?: RewardEmailPlan | null },
  now: Date,
): Pick<Reward, 'expiresAt' | 'expiringNoticeAt'> {
  if (!r.expiresAfterSeconds) return { expiresAt: null, expiringNoticeAt: null };
  const expiresAt = new Date(now.getTime() + r.expiresAfterSeconds * 1000);
  const before = r.emails?.expiring ? r.emails.expiringBeforeSeconds : undefined;
  return {
    expiresAt,
    expiringNoticeAt: before
      ? new Date(Math.max(now.getTime(), expiresAt.getTime() - before * 1000))
      : null,
  };
}
