import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** A program's bank of unique codes (coupons, gift card numbers); a reward takes one each. */
@Entity('code_pools')
@Index('UQ_code_pools_program_name', ['programId', 'name'], { unique: true })
export class CodePool {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 200 })
  name: string;

  /** At or below this many available codes the pool is low; null: never low, no alert. */
  @Column('integer', { nullable: true })
  lowStockThreshold: number | null;

  /**
   * Set by the one alert of a crossing below the threshold (a conditional UPDATE, so of two
   * processes that see the crossing one sends it); cleared when stock is above it again.
   */
  @Column('boolean', { default: false })
  lowStockAlerted: boolean;

  /** How many crossings alerted: the alert's dedupe key, one email per crossing. */
  @Column('integer', { default: 0 })
  lowStockAlerts: number;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
