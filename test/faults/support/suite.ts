import type { Db } from './db';
import type { FaultRun } from './run';

/** What every case reads once the run has started (set in the suite's beforeAll). */
export interface Suite {
  run: FaultRun;
  db: Db;
}

export const SMTP_USER = 'mailer';
