import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { centsToUsd } from '../common/money/cents';
import { bigintTransformer, decimalTransformer, TIMESTAMP } from '../database/column-types';
import type { RewardKind } from './reward-kinds';

export type RewardStatus = 'available' | 'paid' | 'cancelled';

@Entity('rewards')
@Index('UQ_rewards_effect_key', ['effectKey'], { unique: true })
@Index('IDX_rewards_program_participant_created', ['programId', 'participantId', 'createdAt'])
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
