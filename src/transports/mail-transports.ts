import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type Mail from 'nodemailer/lib/mailer';
import { AppConfig, ehloName } from '../config/app.config';
import { MailAccounts, type AccountError } from './accounts/mail-accounts';
import { composeMessage } from './compose/dkim-signing';
import { EmlDriver } from './drivers/eml.driver';
import { EmlWriter } from './drivers/eml-writer';
import { RelayDriver } from './drivers/relay.driver';
import { SmtpDriver } from './drivers/smtp.driver';
import type { DriverResult, MailDriver, OutgoingMail } from './mail-driver';
import type { BuiltinRoute, MailRoute, SmtpRoute } from './mail-route';
import { MailRouter } from './mail-router';
import { SmtpTransportPool } from './smtp/transport-pool';

/** What a message says, before the route adds who it is from. */
export interface MessageParts {
  to: string | Mail.Address;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface ComposedMail {
  raw: Buffer;
  envelopeFrom: string;
}

/**
 * How mail leaves: the route of a program's message, one driver per kind of route (the
 * program's SMTP server, the platform relay, .eml files), the bytes composed (and signed) for
 * that route, and what a route's account learns from a send.
 */
@Injectable()
export class MailTransports implements OnApplicationShutdown {
  private readonly smtp: MailDriver<SmtpRoute>;
  /** The relay when BUILTIN_SMTP_URL is set, else .eml files. */
  private readonly builtin: MailDriver<BuiltinRoute>;
  /** KEEP_SENT_MESSAGES: what goes out over SMTP is kept as an .eml too. */
  private readonly keepSent: boolean;

  constructor(
    private readonly router: MailRouter,
    private readonly accounts: MailAccounts,
    pool: SmtpTransportPool,
    @Inject(EmlWriter) private readonly eml: EmlWriter,
    config: AppConfig,
  ) {
    this.keepSent = config.KEEP_SENT_MESSAGES;
    this.smtp = new SmtpDriver(pool);
    this.builtin = config.BUILTIN_SMTP_URL
      ? new RelayDriver(config.BUILTIN_SMTP_URL, ehloName(config))
      : new EmlDriver(eml);
  }

  routeFor(
    programId: string,
    senderId?: string | null,
    via?: 'program' | 'platform',
  ): Promise<MailRoute> {
    return this.router.routeFor(programId, senderId, via);
  }

  /** The message as bytes From the route's address, DKIM-signed on a verified custom domain. */
  async compose(route: MailRoute, parts: MessageParts): Promise<ComposedMail> {
    const composed = await composeMessage(
      {
        from: { address: route.from.address, name: route.from.name ?? '' },
        to: parts.to,
        replyTo: route.replyTo ?? undefined,
        subject: parts.subject,
        html: parts.html,
        text: parts.text,
        messageId: parts.messageId,
        headers: parts.headers,
        disableFileAccess: true,
        disableUrlAccess: true,
      },
      route.kind === 'builtin' ? route.dkim : undefined,
    );
    return { raw: composed.raw, envelopeFrom: composed.envelope.from || route.from.address };
  }

  /** Sends through the route's driver; throws an SmtpError when it was not accepted. */
  send(route: MailRoute, mail: OutgoingMail): Promise<DriverResult> {
    return route.kind === 'smtp' ? this.smtp.send(route, mail) : this.builtin.send(route, mail);
  }

  /**
   * Keeps the bytes sent on `route` as the .eml the message log serves, when KEEP_SENT_MESSAGES
   * is on; the embedded sender's own file already is that copy. True when a copy was written.
   */
  async keepSentCopy(
    route: MailRoute,
    programId: string,
    messageId: string,
    raw: Buffer,
  ): Promise<boolean> {
    if (!this.keepSent || (route.kind === 'builtin' && this.builtin instanceof EmlDriver))
      return false;
    await this.eml.write(programId, messageId, raw);
    return true;
  }

  /**
   * Files the exact bytes sent on `route` in the sender's Sent folder over IMAP. Does nothing
   * for routes that keep no copy; throws an ImapError (code IMAP_*) when filing fails.
   */
  async fileSentCopy(route: MailRoute, raw: Buffer): Promise<boolean> {
    if (route.kind !== 'smtp' || !route.saveToSent || !route.senderId) return false;
    const integration = await this.accounts.findIntegrationById(route.integrationId);
    if (!integration) return false;
    const identity = await this.accounts.findSender(integration.programId, route.senderId);
    if (!identity) return false;
    await this.accounts.appendToSent(
      identity,
      integration,
      Boolean(route.settings.allowInsecure),
      raw,
    );
    return true;
  }

  /** A send on the route showed its account no longer works (a refused login or From). */
  async routeFailed(programId: string, route: MailRoute, error: AccountError): Promise<void> {
    if (route.kind !== 'smtp') return;
    await this.accounts.routeFailed(programId, route.integrationId, route.senderId, error);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.builtin.close?.();
  }
}
