import type { SenderDomainKey } from '../sender-domains/dkim-keys';
import type { SmtpSettings } from './smtp/smtp-settings';
import type { SendLimits } from '../send-limits/send-limits';

export interface MailAddress {
  address: string;
  name?: string | null;
}

/**
 * Where one message goes: the program's own SMTP server, or the built-in sender (which leaves
 * through the platform's relay, or as .eml files in the embedded setup). `kind` is what the
 * message log shows as the transport.
 */
export type MailRoute = SmtpRoute | BuiltinRoute;

export interface SmtpRoute {
  kind: 'smtp';
  /** Pool key: one pooled transport per integration and credential. */
  transportKey: string;
  /** Changes whenever settings or credentials change, so the pool rebuilds. */
  version: string;
  settings: SmtpSettings;
  from: MailAddress;
  replyTo?: string | null;
  integrationId: string;
  senderId?: string | null;
  /** Set when a copy of what was sent goes to the sender's Sent folder. */
  saveToSent?: boolean;
  /** The sending limits of the account the route logs in as (counted per transportKey). */
  limits: SendLimits;
}

export interface BuiltinRoute {
  kind: 'builtin';
  from: MailAddress;
  replyTo?: string | null;
  /** Present only for a verified custom From domain. */
  dkim?: SenderDomainKey;
}
