import type { RecipientRejection } from './smtp/smtp-errors';
import type { MailRoute } from './mail-route';

/** A composed message on its way out. */
export interface OutgoingMail {
  /** The outbox id; the .eml driver names its file by it. */
  id: string;
  programId: string;
  /** The RFC 5322 bytes, signed where the route signs. */
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

/** What the receiving side said. */
export interface DriverResult {
  /** The server's final reply, or where the message was written. */
  response: string;
  accepted: string[];
  /** Recipients refused while others were accepted; each says whether to suppress the address. */
  rejected: RecipientRejection[];
}

/**
 * One way mail leaves the service. Drivers throw an SmtpError (or an error with a `code`) when
 * the message was not accepted; classifying and retrying is the caller's.
 */
export interface MailDriver<R extends MailRoute = MailRoute> {
  send(route: R, mail: OutgoingMail): Promise<DriverResult>;
  close?(): Promise<void>;
}
