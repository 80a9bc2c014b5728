import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export type PoolCodeStatus = 'available' | 'assigned';

/** One code of a pool: available, or assigned to exactly one reward. */
@Entity('pool_codes')
@Index('UQ_pool_codes_pool_code', ['poolId', 'code'], { unique: true })
// The claim's lookup, in the claim's order: the oldest available code of a pool, read off the
// index (codes of one upload share createdAt; without id every claim would sort them).
@Index('IDX_pool_codes_pool_status_created', ['poolId', 'status', 'createdAt', 'id'])
@Index('IDX_pool_codes_reward', ['rewardId'])
export class PoolCode {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 36 })
  poolId: string;

  @Column('varchar', { length: 200 })
  code: string;

  @Column('varchar', { length: 16 })
  status: PoolCodeStatus;

  @Column('varchar', { length: 36, nullable: true })
  rewardId: string | null;

  @Column(TIMESTAMP, { nullable: true })
  assignedAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;
}
