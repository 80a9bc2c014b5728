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
 * Where other modules hook into the reward lifecycle (the W-9 check, payout reminders), so the
 * rewards module needs to know none of them. Register in onModuleInit.
 */
@Injectable()
export class RewardHooks {
  private readonly written: RewardWrittenHook[] = [];
  private readonly statusChanged: RewardStatusChangedHook[] = [];

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
