import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../config/app.config';
import type { EnqueueOptions, JobOptions } from './job-queue.port';
import type { JobName, JobPayloads } from './queue.constants';

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export function retryPolicy(
  config: Pick<AppConfig, 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'>,
): RetryPolicy {
  return { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS };
}

/**
 * The delay before the next attempt after `attemptsMade` failed ones: exponential, as Bull's
 * own retries wait. With `random` (Math.random), jittered between half and one and a half of
 * that, so a server that was down is not hit by every retry of a batch at once. Every retry
 * the service schedules waits this long.
 */
export function backoffDelay(baseMs: number, attemptsMade: number, random?: () => number): number {
  const delay = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return random ? Math.round(delay * (0.5 + random())) : delay;
}

/**
 * Id and attempts of each job, in one place. An evaluation has one job per event at a time; a
 * delivery job gets a new id each time, because a message is dispatched again on purpose (a
 * retry, the sweeper) while an earlier job of it may still be kept; its own retries are counted
 * on the message, so the queue only retries a handler that crashed.
 */
export function jobOptions<N extends JobName>(name: N, payload: JobPayloads[N]): JobOptions {
  switch (name) {
    case 'evaluate-event':
      return { jobId: `evaluate:${(payload as JobPayloads['evaluate-event']).eventId}` };
    case 'process-inbound':
      return { jobId: `inbound:${(payload as JobPayloads['process-inbound']).inboundId}` };
    case 'deliver-message':
      return {
        jobId: `deliver:${(payload as JobPayloads['deliver-message']).messageId}:${randomUUID()}`,
        attempts: 3,
      };
    case 'deliver-messages': {
      const ids = (payload as JobPayloads['deliver-messages']).messageIds;
      return { jobId: `deliver:${ids[0]}+${ids.length - 1}:${randomUUID()}`, attempts: 3 };
    }
    case 'deliver-webhook':
      // Like a message: dispatched again on purpose (retries, the sweeper); tries counted on the row.
      return {
        jobId: `webhook:${(payload as JobPayloads['deliver-webhook']).deliveryId}:${randomUUID()}`,
        attempts: 3,
      };
    default:
      return {};
  }
}

/** A job to queue, with the options jobOptions() gives it and an optional delay. */
export function jobOf<N extends JobName>(
  name: N,
  payload: JobPayloads[N],
  delayMs?: number,
): { payload: JobPayloads[N]; options: EnqueueOptions } {
  return { payload, options: { ...jobOptions(name, payload), ...(delayMs ? { delayMs } : {}) } };
}
