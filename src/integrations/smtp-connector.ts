import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { AppConfig, ehloName } from '../config/app.config';
import { resolveAllowedHost } from '../transports/smtp/host-guard';
import { classifySmtpError, SmtpError } from '../transports/smtp/smtp-errors';
import {
  sendSmtpMessage,
  type OutgoingMessage,
  type SmtpSendResult,
} from '../transports/smtp/smtp-sender';
import { type SmtpSettings } from '../transports/smtp/smtp-settings';
import { VERIFY_TIMEOUTS } from '../config/smtp-timeouts';
import { verifySmtp, type SmtpVerifyResult } from '../transports/smtp/smtp-verifier';
import { createSmtpTransport } from '../transports/smtp/transport-factory';
import { ImapError, verifyImap, type ImapCredentials } from '../transports/imap/imap-client';
import type { ImapSettings } from '../transports/imap/sent-folder';
import { AccountWaitingError } from '../transports/accounts/account-waiting';
import { OAuthTokenError } from '../transports/oauth/oauth-errors';

/**
 * The classified error of a connection a person is waiting for, with the credentials scrubbed
 * from replies. An OAuth token that could not be had is passed on as it is.
 */
export function classifyForPerson(
  err: unknown,
  settings: SmtpSettings,
): SmtpError | AccountWaitingError | OAuthTokenError {
  if (err instanceof AccountWaitingError || err instanceof OAuthTokenError) return err;
  return classifySmtpError(err, {
    host: settings.host,
    port: settings.port,
    security: settings.security,
    secrets: settings.password ? [settings.password] : [],
    phase: 'verify',
  });
}

/**
 * A failure the person who asked can fix: 422 with the classified code and message; 409 for an
 * account whose OAuth sign-in must be connected again; 502 when the provider's token endpoint
 * failed.
 */
export function unprocessable(err: unknown): unknown {
  if (err instanceof SmtpError || err instanceof ImapError)
    return AppError.unprocessable(err.code, err.message);
  if (err instanceof AccountWaitingError) return AppError.conflict(err.reason, err.message);
  if (err instanceof OAuthTokenError) return new AppError(502, err.reason, err.message);
  return err;
}

/**
 * One-off SMTP connections while a person waits (connect, test sends): the host guard, about
 * 10 s timeouts, certificates always validated. Delivery uses the pooled transports instead.
 */
@Injectable()
export class SmtpConnector {
  readonly allowPrivateHosts: boolean;
  // The same EHLO name as the delivery pool, so a server sees one client.
  private readonly clientName: string;

  constructor(config: AppConfig) {
    this.allowPrivateHosts = config.SMTP_ALLOW_PRIVATE_HOSTS;
    this.clientName = ehloName(config);
  }

  /**
   * Connects and logs in, and with `mailFrom` also checks that the server takes that From address
   * and relays for this login (no message is sent); throws a 422 AppError that says what to change.
   */
  async verify(settings: SmtpSettings, mailFrom?: string): Promise<SmtpVerifyResult> {
    try {
      return await verifySmtp(settings, {
        allowPrivateHosts: this.allowPrivateHosts,
        timeouts: VERIFY_TIMEOUTS,
        clientName: this.clientName,
        mailFrom,
      });
    } catch (err) {
      throw unprocessable(classifyForPerson(err, settings));
    }
  }

  /**
   * Logs in on the IMAP server Sent copies will go to and finds their folder (`sentFolder`, when
   * named, must exist); throws a 422 AppError that says what to change.
   */
  async verifySentFolder(
    settings: ImapSettings,
    credentials: ImapCredentials,
    allowInsecure: boolean,
    sentFolder: string | null | undefined,
  ): Promise<void> {
    try {
      await verifyImap(settings, credentials, {
        allowPrivateHosts: this.allowPrivateHosts,
        allowInsecure,
        sentFolder,
      });
    } catch (err) {
      throw unprocessable(err);
    }
  }

  /** Sends one message on a connection of its own; throws the classified SmtpError. */
  async send(settings: SmtpSettings, message: OutgoingMessage): Promise<SmtpSendResult> {
    const ctx = {
      host: settings.host,
      port: settings.port,
      security: settings.security,
      secrets: settings.password ? [settings.password] : [],
      phase: 'verify' as const,
    };
    // The access token first, as delivery does: a revoked sign-in is said as such.
    if (settings.oauth2) await settings.oauth2.accessToken();
    const target = await resolveAllowedHost(settings.host, settings.port, {
      allowPrivateHosts: this.allowPrivateHosts,
      timeoutMs: VERIFY_TIMEOUTS.dnsTimeoutMs,
    });
    const transport = createSmtpTransport(settings, target, {
      pool: false,
      timeouts: { ...VERIFY_TIMEOUTS, socketTimeoutMs: 30_000 },
      clientName: this.clientName,
    });
    try {
      return await sendSmtpMessage(transport, message, ctx);
    } finally {
      transport.close();
    }
  }
}
