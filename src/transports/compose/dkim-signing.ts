import { createTransport } from 'nodemailer';
import type DKIM from 'nodemailer/lib/dkim';
import type Mail from 'nodemailer/lib/mailer';
import type StreamTransport from 'nodemailer/lib/stream-transport';
import { fromAddressDomain, type SenderDomainKey } from '../../sender-domains/dkim-keys';
import { signDkim } from './dkim-signer';

export type SenderDomainErrorCode = 'SENDER_DOMAIN_NOT_VERIFIED' | 'FROM_DOMAIN_MISMATCH';

export class SenderDomainSigningError extends Error {
  constructor(
    readonly code: SenderDomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SenderDomainSigningError';
  }
}

/** nodemailer `dkim` options for a verified domain; an unverified one is refused. */
export function dkimOptionsFor(sender: SenderDomainKey): DKIM.SingleKeyOptions {
  if (sender.status !== 'verified') {
    throw new SenderDomainSigningError(
      'SENDER_DOMAIN_NOT_VERIFIED',
      `${sender.domain} is not verified yet; mail cannot be sent from it until its DNS records are`,
    );
  }
  return {
    domainName: sender.domain,
    keySelector: sender.selector,
    privateKey: sender.privateKeyPem,
  };
}

/** Refuses a From whose domain is not exactly the sender domain, so an unverified domain is never used. */
export function assertFromMatchesDomain(from: Mail.Options['from'], domain: string): void {
  const fromDomain = fromAddressDomain(from);
  if (fromDomain === undefined || fromDomain !== domain.toLowerCase()) {
    throw new SenderDomainSigningError(
      'FROM_DOMAIN_MISMATCH',
      `the From address must be at ${domain}${fromDomain ? `, not ${fromDomain}` : ''}`,
    );
  }
}

export interface ComposedMessage {
  /** The RFC 5322 message with CRLF line ends, signed when a sender domain was given. */
  raw: Buffer;
  messageId: string;
  envelope: { from: string | false; to: string[] };
}

// Builds messages without sending anything (and logs nothing of them).
const composer = createTransport({ streamTransport: true, buffer: true, logger: false });

/**
 * Renders a message to raw bytes. With a sender domain it must be verified and match the
 * From address, and the message is DKIM-signed with `d=` that domain.
 */
export async function composeMessage(
  mail: Mail.Options,
  sender?: SenderDomainKey,
): Promise<ComposedMessage> {
  // CRLF throughout, as RFC 5322 and the wire have it, and as the signer reads it.
  // Quoted-printable for every text part: readable in the raw message, and nodemailer skips
  // scanning each part to choose between it and base64 (a large share of composing a message).
  const options: Mail.Options = { textEncoding: 'quoted-printable', ...mail, newline: 'windows' };
  // Signed below, not by nodemailer, whose signer cannot over-sign From. A dkim option from the
  // caller would bypass the verified-domain check.
  delete options.dkim;
  if (sender) {
    dkimOptionsFor(sender);
    assertFromMatchesDomain(mail.from, sender.domain);
  }
  const info: StreamTransport.SentMessageInfo = await composer.sendMail(options);
  const raw = info.message as Buffer;
  return {
    raw: sender ? signDkim(raw, sender) : raw,
    messageId: info.messageId,
    envelope: { from: info.envelope.from, to: info.envelope.to },
  };
}
