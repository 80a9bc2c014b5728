import { AppConfig } from '../config/app.config';

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export function retryPolicy(
  config: Pick<AppConfig, 'JOB_ATTEMPTS' | 'JOB_BACKOFF_MS'>,
): RetryPolicy {
  return { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS };
}

/** Exponential backoff: the delay before attempt n+1 after attempt n failed. */
export function backoffDelay(policy: RetryPolicy, attemptsMade: number): number {
  return policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
}
