import type { Db } from './db';
import type { FaultRun } from './run';

/**
 * What a case leaves to check later: messages a dead worker (or a cut connection) left claimed
 * are sent again only when the claim expires (MESSAGE_CLAIM_MS, 90 s here), so the cases after it
 * run meanwhile.
 */
export interface FollowUp {
  caseName: string;
  /** Waits for the outcome, asserts it, and returns the line for the report. */
  check: () => Promise<string>;
}

/** What every case reads once the run has started (set in the suite's beforeAll). */
export interface Suite {
  run: FaultRun;
  db: Db;
  followUps: FollowUp[];
  /** Stops what a case started; run at the end, whatever happened. */
  cleanups: Array<() => Promise<void>>;
}

export const SMTP_USER = 'mailer';
