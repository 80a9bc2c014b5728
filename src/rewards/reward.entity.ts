import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { centsToUsd } from '../common/money/cents';
import { bigintTransformer, decimalTransformer, TIMESTAMP } from '../database/column-types';
import type { FraudVerdict } from '../fraud/fraud-checks';
import type { RewardKind } from './reward-kinds';
import type { PendingReason, RewardStatus } from './states/reward-states';

export type { RewardStatus } from './states/reward-states';

@Entity('rewards')
@Index('UQ_rewards_effect_key', ['effectKey'], { unique: true })
@Index('IDX_rewards_program_participant_created', ['programId', 'participantId', 'createdAt'])
@Index('IDX_rewards_program_reference', ['programId', 'reference'])
@Index('IDX_rewards_status_release', ['status', 'releaseAt'])
@Index('IDX_rewards_status_expires', ['status', 'expiresAt'])
@Index('IDX_rewards_status_expiring', ['status', 'expiringNoticeAt'])
@Index('IDX_rewards_pool_status_created', ['codePoolId', 'status', 'createdAt'])
export class Reward {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 200 })
  participantId: string;

  /** The rule that produced it; null for rewards written by other code. */
  @Column('varchar', { length: 36, nullable: true })
  ruleId: string | null;

  @Column('integer', { nullable: true })
  ruleVersion: number | null;

  @Column('varchar', { length: 36, nullable: true })
  eventId: string | null;

  /** (event, rule, action, recipient): a retried evaluation cannot write the reward twice. */
  @Column('varchar', { length: 64, nullable: true })
  effectKey: string | null;

  @Column('varchar', { length: 16 })
  kind: RewardKind;

  @Column('decimal', { precision: 18, scale: 4, transformer: decimalTransformer })
  amount: number;

  @Column('varchar', { length: 3 })
  currency: string;

  /** What counts toward the W-9 total, in whole USD cents: sums of them are exact. */
  @Column('bigint', { transformer: bigintTransformer })
  taxableCents: number;

  @Column('varchar', { length: 16 })
  status: RewardStatus;

  /** Why a pending reward waits (HOLD, AWAITING_APPROVAL, CODE_POOL_EMPTY); null otherwise. */
  @Column('varchar', { length: 32, nullable: true })
  pendingReason: PendingReason | null;

  /** The reason given with the last change (e.g. "refund"), as in its history row. */
  @Column('varchar', { length: 500, nullable: true })
  statusReason: string | null;

  /** A reference taken from the event (the rule's `ref`), e.g. an order id; reversal finds it. */
  @Column('varchar', { length: 200, nullable: true })
  reference: string | null;

  /** When a held reward becomes available, unless reversed or denied before. */
  @Column(TIMESTAMP, { nullable: true })
  releaseAt: Date | null;

  /** `expiresAfter` as a duration; the clock starts when the reward becomes available. */
  @Column('integer', { nullable: true })
  expiresAfterSeconds: number | null;

  /** When an available reward expires, if its rule set `expiresAfter`. */
  @Column(TIMESTAMP, { nullable: true })
  expiresAt: Date | null;

  /** When the reward-expiring email is due; cleared once it is written. */
  @Column(TIMESTAMP, { nullable: true })
  expiringNoticeAt: Date | null;

  /** The pool the rule's `codePool` named; the reward takes one code from it. */
  @Column('varchar', { length: 36, nullable: true })
  codePoolId: string | null;

  /** The code it was given; null while it waits for one, or after it went back to the pool. */
  @Column('varchar', { length: 200, nullable: true })
  code: string | null;

  /** The fraud checks' verdict when the program runs them (observe or enforce); null otherwise. */
  @Column('simple-json', { nullable: true })
  fraud: FraudVerdict | null;

  /** Which emails the rule asked for, kept for the ones sent at later changes. */
  @Column('simple-json', { nullable: true })
  emails: RewardEmailPlan | null;

  @Column(TIMESTAMP, { nullable: true })
  paidAt: Date | null;

  @Column(TIMESTAMP, { nullable: true })
  cancelledAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;

  /** The taxable part in dollars, as templates (`reward.taxableUsd`) and the API show it. */
  get taxableUsd(): number {
    return centsToUsd(this.taxableCents);
  }
}

/** The emails a reward's rule asked for; a state missing here (or false) sends nothing. */
export interface RewardEmailPlan {
  /** Whom the rule's action named: the context of the email says so. */
  role: 'participant' | 'referrer';
  /** The template of the `available` email (default reward-earned). */
  earned?: string | false;
  pending?: boolean;
  denied?: boolean;
  reversed?: boolean;
  expiring?: boolean;
  /** Seconds before expiry the reward-expiring email goes out. */
  expiringBeforeSeconds?: number;
}
