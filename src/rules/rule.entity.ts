import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';
import type { RuleAction, RuleConditions } from './engine/rule-types';

/** A program's rule: when an event of `event` type matches `conditions`, run `actions`. */
@Entity('rules')
@Index('IDX_rules_program_event_enabled', ['programId', 'event', 'enabled'])
export class Rule {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 200 })
  name: string;

  /** The event type the rule listens to. */
  @Column('varchar', { length: 100 })
  event: string;

  /** Normalised json-rules-engine conditions; null matches every event of the type. */
  @Column('simple-json', { nullable: true })
  conditions: RuleConditions | null;

  @Column('simple-json')
  actions: RuleAction[];

  @Column('boolean')
  enabled: boolean;

  /** Higher runs first. */
  @Column('integer')
  priority: number;

  /** 1 on creation, one more on every change; results record the version that ran. */
  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
