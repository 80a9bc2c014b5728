import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export type InboundSource = 'smtp' | 'imap';
export type InboundStatus = 'received' | 'processed' | 'failed';
export type InboundKind = 'dsn' | 'arf' | 'auto-reply' | 'reply';

/**
 * One email that came back: a bounce, a complaint, a reply. Stored whole before the listener
 * answers 250 (or before the mailbox message is flagged), then read by a job.
 */
@Entity('inbound_messages')
@Index('IDX_inbound_messages_status', ['status', 'lockedUntil'])
@Index('IDX_inbound_messages_program', ['programId', 'receivedAt'])
@Index('UQ_inbound_messages_mailbox_uid', ['mailboxId', 'mailboxUid'], { unique: true })
export class InboundMessage {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  /** Known from the address it came in on, or the mailbox it was read from; null when neither says. */
  @Column('varchar', { length: 36, nullable: true })
  programId: string | null;

  @Column('varchar', { length: 8 })
  source: InboundSource;

  /** For mail read from a program's mailbox: which one, and the message's UID there. */
  @Column('varchar', { length: 36, nullable: true })
  mailboxId: string | null;

  @Column('varchar', { length: 64, nullable: true })
  mailboxUid: string | null;

  @Column('varchar', { length: 320, nullable: true })
  envelopeFrom: string | null;

  /** The address it was delivered to: a return-path tag, a forwarding address, a mailbox. */
  @Column('varchar', { length: 320 })
  envelopeTo: string;

  /** The message as received, base64 (it may hold any byte). */
  @Column('text')
  raw: string;

  @Column('integer')
  size: number;

  @Column('varchar', { length: 16 })
  status: InboundStatus;

  @Column('varchar', { length: 16, nullable: true })
  kind: InboundKind | null;

  /** The outbound message it is about (a bounce, a complaint) or answers (a reply). */
  @Column('varchar', { length: 36, nullable: true })
  messageId: string | null;

  @Column('varchar', { length: 200, nullable: true })
  participantId: string | null;

  @Column('varchar', { length: 320, nullable: true })
  fromAddress: string | null;

  @Column('text', { nullable: true })
  subject: string | null;

  @Column('varchar', { length: 998, nullable: true })
  inReplyTo: string | null;

  /** What was found in it: the bounce class and status, the complaint type, why it is automatic. */
  @Column('simple-json', { nullable: true })
  summary: Record<string, unknown> | null;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('integer', { default: 0 })
  attempts: number;

  /** While a job reads it; a row left received past this is read again by the sweeper. */
  @Column(TIMESTAMP, { nullable: true })
  lockedUntil: Date | null;

  @Column(TIMESTAMP)
  receivedAt: Date;

  @Column(TIMESTAMP, { nullable: true })
  processedAt: Date | null;
}
