import type Mail from 'nodemailer/lib/mailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import {
  classifyRecipientRejection,
  classifySmtpError,
  type RecipientRejection,
  type SmtpErrorContext,
} from './smtp-errors';
import type { SmtpTransporter } from './transport-factory';
import { tokenErrorOf } from './xoauth2';

type AddressList = string | Mail.Address | Array<string | Mail.Address>;

/** One rendered email. No attachments: nothing a program sends may read files or URLs. */
export interface OutgoingMessage {
  from: string | Mail.Address;
  to: AddressList;
  cc?: AddressList;
  bcc?: AddressList;
  replyTo?: string | Mail.Address;
  subject: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  /** A Message-ID to use, e.g. to keep it stable across retries; generated when absent. */
  messageId?: string;
  /** SMTP envelope when it differs from the headers (e.g. a bounce address). */
  envelope?: { from: string; to: string[] };
  /** A message already composed (and signed): sent byte for byte, with `envelope`. */
  raw?: Buffer;
}

export interface SmtpSendResult {
  messageId: string;
  /** The server's final reply, e.g. `250 2.0.0 OK queued as ...`. */
  response: string;
  accepted: string[];
  /** Recipients the server refused while accepting others; each says whether to suppress the address. */
  rejected: RecipientRejection[];
}

// nodemailer reports recipients as strings; an address object is read too, should one appear.
const addressOf = (entry: string | Mail.Address): string =>
  typeof entry === 'string' ? entry : (entry.address ?? '');

/**
 * Sends one message through a transport (pooled or not). Resolves when the server accepted it for
 * at least one recipient; throws an SmtpError otherwise, with `rejected` when every recipient was refused.
 */
export async function sendSmtpMessage(
  transport: SmtpTransporter,
  message: OutgoingMessage,
  ctx: SmtpErrorContext = {},
): Promise<SmtpSendResult> {
  const mail: Mail.Options = {
    from: message.from,
    to: message.to,
    cc: message.cc,
    bcc: message.bcc,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: message.headers,
    messageId: message.messageId,
    envelope: message.envelope,
    raw: message.raw,
    // Also set on the transport; repeated here so no caller can turn them back on.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  let info: SMTPPool.SentMessageInfo;
  try {
    info = await transport.sendMail(mail);
  } catch (err) {
    // An OAuth token that could not be had is not the server's answer: it goes up as it is.
    throw tokenErrorOf(err) ?? classifySmtpError(err, ctx);
  }

  const rejected = (info.rejectedErrors ?? []).map((entry) =>
    classifyRecipientRejection(entry, ctx.secrets),
  );
  // An address in `rejected` without its own error (not expected from SMTP) is still reported.
  for (const address of (info.rejected ?? []).map(addressOf)) {
    if (!rejected.some((r) => r.address === address)) {
      rejected.push(classifyRecipientRejection({ recipient: address }, ctx.secrets));
    }
  }
  return {
    messageId: info.messageId,
    response: info.response,
    accepted: (info.accepted ?? []).map(addressOf),
    rejected,
  };
}
