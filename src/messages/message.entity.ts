import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'suppressed'
  // Accepted, then reported back: a bounce (RFC 3464), a complaint (RFC 5965).
  | 'bounced'
  | 'complained';
export type MessageTransport = 'smtp' | 'builtin';

export interface MessageAttempt {
  at: string;
  /** `waiting`: held back by the account's sending limit, until the time in `message`. */
  outcome: 'sent' | 'retry' | 'waiting' | 'failed' | 'suppressed';
  transport?: MessageTransport;
  code?: string;
  message?: string;
  response?: string;
}

export interface RecipientRejected {
  address: string;
  code: string;
  message: string;
  permanent: boolean;
}

/** One email: what to render, for whom, and every attempt to deliver it. The database is the truth. */
@Entity('messages')
@Index('UQ_messages_program_dedupe', ['programId', 'dedupeKey'], { unique: true })
@Index('IDX_messages_status_locked', ['status', 'lockedUntil'])
@Index('IDX_messages_program_created', ['programId', 'createdAt'])
@Index('UQ_messages_return_path', ['returnPathTag'], { unique: true })
@Index('IDX_messages_message_id', ['messageId'])
// Written per database by their migration (an expression, a partial index): kept, not synchronized.
@Index('IDX_messages_program_recipient', { synchronize: false })
@Index('IDX_messages_test_sends', { synchronize: false })
export class Message {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 64 })
  templateKey: string;

  /** Locales to try, best first. */
  @Column('simple-json')
  locales: string[];

  /** The locale actually rendered. */
  @Column('varchar', { length: 16, nullable: true })
  locale: string | null;

  @Column('varchar', { length: 320 })
  toEmail: string;

  @Column('varchar', { length: 200, nullable: true })
  toName: string | null;

  @Column('varchar', { length: 200, nullable: true })
  participantId: string | null;

  @Column('varchar', { length: 200, nullable: true })
  senderId: string | null;

  /** Template variables, fixed when the message was queued. */
  @Column('simple-json')
  data: Record<string, unknown>;

  /** Unique per program; a second request with the same key writes nothing. */
  @Column('varchar', { length: 200 })
  dedupeKey: string;

  /** What the email is to its recipient (see EMAIL_CATEGORIES), fixed when it was written. */
  @Column('varchar', { length: 32, default: 'marketing' })
  category: string;

  /** `platform`: sent by the platform's own sender whatever the program set up (alerts to the program). */
  @Column('varchar', { length: 16, default: 'program' })
  via: 'program' | 'platform';

  /**
   * Variables that are credentials (one-time links), sealed with APP_SECRET and bound to the
   * program; merged into `data` only to render, and dropped once the message is sent.
   */
  @Column('text', { nullable: true })
  sealedData: string | null;

  /** Holds one-time links: the message log shows no content. */
  @Column('boolean', { default: false })
  sensitive: boolean;

  @Column('varchar', { length: 16 })
  status: MessageStatus;

  @Column('varchar', { length: 16, nullable: true })
  transport: MessageTransport | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('simple-json')
  attemptLog: MessageAttempt[];

  @Column('text', { nullable: true })
  subject: string | null;

  @Column('text', { nullable: true })
  html: string | null;

  @Column('text', { nullable: true })
  text: string | null;

  /**
   * The tag of its envelope sender on the built-in sender (`b-<tag>@<return-path host>`): a
   * bounce comes back to it and names this message. Unguessable, unlike the id.
   */
  @Column('varchar', { length: 32, nullable: true })
  returnPathTag: string | null;

  /** The Message-ID header; fixed before the first attempt so retries keep it. */
  @Column('varchar', { length: 255, nullable: true })
  messageId: string | null;

  @Column('text', { nullable: true })
  serverResponse: string | null;

  @Column('varchar', { length: 64, nullable: true })
  errorCode: string | null;

  @Column('text', { nullable: true })
  errorMessage: string | null;

  @Column('boolean', { nullable: true })
  errorPermanent: boolean | null;

  @Column('simple-json', { nullable: true })
  rejected: RecipientRejected[] | null;

  /**
   * A queued message that waits for its account's sending limit (or for the end of a pause a
   * quota reply of the server asked for) is not sent before this; the send it waits for is
   * already counted for the account named in `limitKey`.
   */
  @Column(TIMESTAMP, { nullable: true })
  notBefore: Date | null;

  @Column('varchar', { length: 300, nullable: true })
  limitKey: string | null;

  /** While sending: the claim expires then, so a dead worker's message is picked up again. */
  @Column(TIMESTAMP, { nullable: true })
  lockedUntil: Date | null;

  @Column(TIMESTAMP, { nullable: true })
  sentAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
