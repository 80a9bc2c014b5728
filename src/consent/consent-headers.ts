import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { hasUnsubscribeUrl } from '../templates/renderer';
import { TRANSACTIONAL } from './consent-categories';
import { ConsentTokens, type ConsentRef } from './consent-tokens';

/** The fields of an outbox message the headers are made from. */
export interface ConsentHeaderSource {
  programId: string;
  participantId: string | null;
  templateKey: string;
  category: string;
  returnPathTag: string | null;
}

// The last part of Feedback-ID names the sender, the same on every message (Gmail's format:
// up to three identifiers of the sender's choice, then the sender's own).
const FEEDBACK_SENDER = 'referral-notify';
const UNSUBSCRIBE_PATH = '/p/unsubscribe/';

/** The unsubscribe link of one participant and category. */
export function unsubscribeLink(
  config: Pick<AppConfig, 'PUBLIC_BASE_URL'>,
  tokens: ConsentTokens,
  ref: ConsentRef,
): string {
  return `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}${tokens.seal(ref)}`;
}

/**
 * The headers of consent and of the bulk senders' rules: `Feedback-ID` on every message, and on
 * every message a participant may leave `List-Unsubscribe` (the link, and a mailto: address
 * while inbound mail can reach the service) with `List-Unsubscribe-Post` (RFC 8058 one-click).
 */
@Injectable()
export class ConsentHeaders {
  constructor(
    private readonly tokens: ConsentTokens,
    private readonly config: AppConfig,
  ) {}

  /**
   * Inbound mail reaches the service when this process listens for it, or when INBOUND_DOMAIN
   * names a real domain (its MX leads to the worker that listens, which decodes the address).
   */
  get mailtoEnabled(): boolean {
    return this.config.INBOUND_SMTP_PORT > 0 || this.config.INBOUND_DOMAIN !== 'localhost';
  }

  /**
   * The unsubscribe link of a message, or null for one nobody may leave: transactional, or to an
   * address that is no participant (a test send). A new token each call: make it once per
   * message, for both the header and the body.
   */
  unsubscribeUrl(message: ConsentHeaderSource): string | null {
    if (message.category === TRANSACTIONAL || !message.participantId) return null;
    return unsubscribeLink(this.config, this.tokens, {
      programId: message.programId,
      participantId: message.participantId,
      category: message.category,
    });
  }

  /** The headers of `message`; `link` is its unsubscribeUrl(), when the body shows it too. */
  for(
    message: ConsentHeaderSource,
    link: string | null = this.unsubscribeUrl(message),
  ): Record<string, string> {
    const headers: Record<string, string> = {
      'Feedback-ID': `${message.templateKey}:${message.category}:${message.programId}:${FEEDBACK_SENDER}`,
    };
    if (!link) return headers;
    const targets = [`<${link}>`];
    if (this.mailtoEnabled && message.returnPathTag) {
      const local = this.tokens.mailtoLocalPart(message.returnPathTag);
      targets.push(`<mailto:${local}@${this.config.INBOUND_DOMAIN}?subject=unsubscribe>`);
    }
    headers['List-Unsubscribe'] = targets.join(', ');
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    return headers;
  }
}

/**
 * The variables of a message with its `unsubscribeUrl` set, for an email type that has it: the
 * link of the List-Unsubscribe header, or null. Whatever was stored there (a preview's sample)
 * never reaches the recipient.
 */
export function withUnsubscribeUrl(
  templateKey: string,
  data: Record<string, unknown>,
  link: string | null,
): Record<string, unknown> {
  if (!hasUnsubscribeUrl(templateKey)) return data;
  return { ...data, unsubscribeUrl: link };
}
