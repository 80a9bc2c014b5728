import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/**
 * One counter per program, raised in the transaction of every rule change. Each process keeps
 * rules in memory and compares this one row before using them, so an edit made through any API
 * process is seen by every worker at once.
 */
@Entity('rule_revisions')
export class RuleRevision {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @Column('integer')
  revision: number;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
