import type { MailboxReadMode } from '../../inbound/mailbox/inbound-mailbox.entity';
import type { Endpoint } from '../../transports/accounts/endpoints';
import type { SaveToSentMode } from '../../transports/accounts/sender-identity.entity';

/** What an authorization request will connect, as checked when it was made; no secret is in it. */
export interface OAuthConnectRequest {
  email: string;
  /** The scopes asked for, space-separated; asked for again on every refresh. */
  scope?: string | null;
  senderId?: string | null;
  /** The SMTP server the XOAUTH2 login is verified on and sent to. */
  smtp?: Endpoint | null;
  /** The IMAP server, when one is used (Sent copies, the inbound mailbox). */
  imap?: (Endpoint & { sentFolder?: string | null }) | null;
  returnTo?: string | null;
  fromAddress?: string | null;
  fromName?: string | null;
  testFromAddress?: string | null;
  saveToSent?: SaveToSentMode | null;
  folder?: string | null;
  read?: MailboxReadMode | null;
}
