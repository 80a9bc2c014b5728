import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { RewardStatus } from './reward-states';

/** One change of a reward's state, in order; the first row (from null) is its creation. */
@Entity('reward_transitions')
@Index('IDX_reward_transitions_reward_at', ['rewardId', 'at'])
export class RewardTransition {
  @PrimaryColumn('varchar', { length: 48 })
  id: string;

  @Column('varchar', { length: 36 })
  rewardId: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 16, nullable: true })
  from: RewardStatus | null;

  @Column('varchar', { length: 16 })
  to: RewardStatus;

  @Column(TIMESTAMP)
  at: Date;

  @Column('varchar', { length: 500, nullable: true })
  reason: string | null;

  @Column('varchar', { length: 120 })
  actor: string;
}
