/** How often a message that waits for its account is looked at again (reconnecting queues it at once). */
export const ACCOUNT_WAIT_RECHECK_MS = 15 * 60_000;

/**
 * An account that cannot send until a person acts on it (its OAuth sign-in was revoked): the
 * message is not failed and not sent through another route; it stays queued and is delivered
 * once the account is connected again.
 */
export class AccountWaitingError extends Error {
  readonly permanent = false;
  readonly waiting = true;
  // Writable: nodemailer sets its own code on errors thrown inside a login; `reason` puts it back.
  code: string;
  readonly reason: 'OAUTH_REAUTHORIZATION_REQUIRED';

  constructor(code: 'OAUTH_REAUTHORIZATION_REQUIRED', message: string) {
    super(message);
    this.name = 'AccountWaitingError';
    this.code = code;
    this.reason = code;
  }
}

export function isAccountWaiting(err: unknown): err is AccountWaitingError {
  return err instanceof AccountWaitingError;
}
