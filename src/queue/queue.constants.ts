// Every job the service runs, with its payload. Payloads carry ids, never entities.
export const QUEUE_NAME = 'jobs';

export interface JobPayloads {
  /** Evaluate a stored event against its program's rules. */
  'evaluate-event': { eventId: string };
  /** Evaluate stored events that arrived together: one job for a batch instead of one per event. */
  'evaluate-events': { eventIds: string[] };
  /** Render and send one outbox message (queued by earlier versions; still run). */
  'deliver-message': { messageId: string };
  /** Render and send outbox messages committed together: one job for the batch. */
  'deliver-messages': { messageIds: string[] };
  /** Re-queue events whose evaluation job was lost. */
  'sweep-events': Record<string, never>;
  /** Re-queue messages left queued or sending too long. */
  'sweep-messages': Record<string, never>;
  /** Turn due payout reminders into outbox messages. */
  'sweep-payout-reminders': Record<string, never>;
  /** Release rewards whose hold ended, expire rewards, send reward-expiring emails. */
  'sweep-rewards': Record<string, never>;
  /** Read one stored inbound email (a bounce, a complaint, a reply) into what it means. */
  'process-inbound': { inboundId: string };
  /** Queue again inbound emails whose reading job was lost. */
  'sweep-inbound': Record<string, never>;
  /** Send one webhook delivery to its endpoint. */
  'deliver-webhook': { deliveryId: string };
  /** Re-queue webhook deliveries whose job was lost. */
  'sweep-webhooks': Record<string, never>;
  /** Give waiting rewards the codes their pools have, where the pass after a commit was lost. */
  'sweep-code-pools': Record<string, never>;
}

export type JobName = keyof JobPayloads;

/** The jobs a worker process must have a handler for; checked at start-up. */
export const JOB_NAMES: JobName[] = [
  'deliver-message',
  'deliver-messages',
  'sweep-messages',
  'evaluate-event',
  'evaluate-events',
  'sweep-events',
  'sweep-payout-reminders',
  'sweep-rewards',
  'process-inbound',
  'sweep-inbound',
  'deliver-webhook',
  'sweep-webhooks',
  'sweep-code-pools',
];
