import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import type { Reward, RewardStatus } from './reward.entity';

/** Runs in the transaction that wrote the reward; throwing rolls the reward back. */
export type RewardWrittenHook = (
  manager: EntityManager,
  reward: Reward,
  program: Program,
  participant: Participant,
) => Promise<void>;

/** What a status change recorded in the reward's history, beside the two states. */
export interface RewardChange {
  reason: string | null;
  /** `rule:<id>@<version>`, `api` or `system`. */
  actor: string;
  at: Date;
}

/**
 * Runs in the transaction that changed the status (RewardsService.transition, the only place a
 * status changes); throwing rolls the change back.
 */
export type RewardStatusChangedHook = (
  manager: EntityManager,
  reward: Reward,
  previous: RewardStatus,
  program: Program,
  change: RewardChange,
) => Promise<void>;

/**
 * Takes one code of a pool for a reward about to be written, in its transaction; null when the
 * pool has none left (the reward then waits, pending CODE_POOL_EMPTY).
 */
export interface CodeClaimer {
  claim(
    manager: EntityManager,
    claim: { programId: string; poolId: string; rewardId: string },
  ): Promise<string | null>;
  /** Puts back the code claimed for a reward that was not written after all. */
  giveBack(manager: EntityManager, rewardId: string): Promise<void>;
}

/**
 * Where other modules hook into the reward lifecycle (the W-9 check, payout reminders), so the
 * rewards module needs to know none of them. Register in onModuleInit.
 */
@Injectable()
export class RewardHooks {
  private readonly written: RewardWrittenHook[] = [];
  private readonly statusChanged: RewardStatusChangedHook[] = [];
  private claimer: CodeClaimer | null = null;

  /** The code pools register how a reward takes a code. */
  onClaimCode(claimer: CodeClaimer): void {
    this.claimer = claimer;
  }

  /** The code pools' claimer; a reward naming a pool in a process without them is a bug. */
  codes(): CodeClaimer {
    if (!this.claimer)
      throw new Error('a reward names a code pool, and no code pool module is loaded');
    return this.claimer;
  }

  onRewardWritten(hook: RewardWrittenHook): void {
    this.written.push(hook);
  }

  onRewardStatusChanged(hook: RewardStatusChangedHook): void {
    this.statusChanged.push(hook);
  }

  /** In order of registration, one after the other: they share the caller's transaction. */
  async runRewardWritten(
    manager: EntityManager,
    reward: Reward,
    program: Program,
    participant: Participant,
  ): Promise<void> {
    for (const hook of this.written) await hook(manager, reward, program, participant);
  }

  async runRewardStatusChanged(
    manager: EntityManager,
    reward: Reward,
    previous: RewardStatus,
    program: Program,
    change: RewardChange,
  ): Promise<void> {
    for (const hook of this.statusChanged) await hook(manager, reward, previous, program, change);
  }
}
