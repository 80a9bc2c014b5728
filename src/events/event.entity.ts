import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';
import type { RuleResult } from '../rules/action-plan';
import type { EventContext } from './dto/event-context.dto';

export type EventStatus = 'queued' | 'processed' | 'failed';

@Entity('events')
@Index('UQ_events_program_idempotency', ['programId', 'idempotencyKey'], { unique: true })
@Index('IDX_events_program_created', ['programId', 'createdAt'])
@Index('IDX_events_status_created', ['status', 'createdAt'])
@Index('IDX_events_program_participant_created', ['programId', 'participantId', 'createdAt'])
export class ProgramEvent {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 100 })
  type: string;

  @Column('varchar', { length: 200 })
  participantId: string;

  @Column('varchar', { length: 200, nullable: true })
  referrerId: string | null;

  @Column('simple-json')
  data: Record<string, unknown>;

  @Column(TIMESTAMP)
  occurredAt: Date;

  /** Unique per program; the database refuses a second event with the same key. */
  @Column('varchar', { length: 255, nullable: true })
  idempotencyKey: string | null;

  /** The request body as received, kept for support and replays. */
  @Column('simple-json')
  raw: Record<string, unknown>;

  /** Where the participant acted from (IP, user agent, device); the fraud checks read it. */
  @Column('simple-json', { nullable: true })
  context: EventContext | null;

  @Column('varchar', { length: 16 })
  status: EventStatus;

  /** Per enabled rule of the type: matched or the conditions that failed, and each action's outcome. */
  @Column('simple-json', { nullable: true })
  results: RuleResult[] | null;

  @Column('text', { nullable: true })
  error: string | null;

  @Column(TIMESTAMP, { nullable: true })
  processedAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
