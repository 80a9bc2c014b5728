import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export type MessageEventType = 'bounced' | 'deferred' | 'complained' | 'replied';

/**
 * What was heard about an outbound message after it was handed over: a bounce, a delay, a
 * complaint, a reply. One row per report: the same report again adds nothing.
 */
@Entity('message_events')
@Index('UQ_message_events_report', ['messageId', 'type', 'reportId'], { unique: true })
export class MessageEvent {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 36 })
  messageId: string;

  @Column('varchar', { length: 16 })
  type: MessageEventType;

  /** The enhanced status code (5.1.1), where there is one. */
  @Column('varchar', { length: 16, nullable: true })
  status: string | null;

  @Column('text', { nullable: true })
  diagnostic: string | null;

  /** hard | soft | policy | sender | delayed for a bounce; the feedback type for a complaint. */
  @Column('varchar', { length: 32, nullable: true })
  detail: string | null;

  @Column('varchar', { length: 36, nullable: true })
  inboundId: string | null;

  /** Identifies the report, so a second copy of it is recognised. */
  @Column('varchar', { length: 64 })
  reportId: string;

  @Column(TIMESTAMP)
  at: Date;
}
