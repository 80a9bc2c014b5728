import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One try at the receiver, as the delivery log shows it. */
export interface WebhookAttempt {
  at: string;
  /** The HTTP status the receiver answered, or null when there was no answer. */
  statusCode: number | null;
  durationMs: number;
  /** Why it failed without an answer (timeout, refused connection, host not allowed). */
  error: string | null;
  /** The start of the receiver's answer. */
  responseExcerpt: string | null;
}

/**
 * One event for one endpoint: written in the transaction that caused the event, sent by a job
 * after it commits, retried with backoff until `giveUpAt`. The row is the truth; the queue
 * only dispatches, and the sweeper sends what a lost job did not.
 */
@Entity('webhook_deliveries')
@Index('UQ_webhook_deliveries_endpoint_dedupe', ['endpointId', 'dedupeKey'], { unique: true })
@Index('IDX_webhook_deliveries_endpoint_created', ['endpointId', 'createdAt'])
@Index('IDX_webhook_deliveries_status_next', ['status', 'nextAttemptAt'])
export class WebhookDelivery {
  /** Also the `webhook-id` header: the same on every attempt, so a receiver can deduplicate. */
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 36 })
  endpointId: string;

  @Column('varchar', { length: 64 })
  eventType: string;

  /** What caused it, unique per endpoint: the same cause again writes nothing. */
  @Column('varchar', { length: 300 })
  dedupeKey: string;

  /** The JSON body sent, fixed when the event happened. */
  @Column('text')
  payload: string;

  @Column('varchar', { length: 16 })
  status: WebhookDeliveryStatus;

  @Column('integer')
  attempts: number;

  /** When the next attempt is due (null once delivered or given up). */
  @Column(TIMESTAMP, { nullable: true })
  nextAttemptAt: Date | null;

  /** A claim on the row by the job sending it; another may take it once this passes. */
  @Column(TIMESTAMP, { nullable: true })
  lockedUntil: Date | null;

  /** No attempt is made after this; a manual retry moves it on. */
  @Column(TIMESTAMP)
  giveUpAt: Date;

  @Column('integer', { nullable: true })
  lastStatusCode: number | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('simple-json')
  attemptLog: WebhookAttempt[];

  @Column(TIMESTAMP, { nullable: true })
  deliveredAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
