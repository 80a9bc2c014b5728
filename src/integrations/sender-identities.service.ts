import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { composeMessage } from '../transports/compose/dkim-signing';
import type { MailAddress } from '../transports/mail-route';
import { SmtpTransportPool } from '../transports/smtp/transport-pool';
import { PARTICIPANT_ID } from '../participants/dto/participant.dto';
import { effectiveSettings, type Program } from '../programs/program.entity';
import type { PutSenderIdentityDto, SenderIdentityResponse } from './dto/sender-identity.dto';
import type { SentFolderResultResponse, TestEmailResponse } from './dto/smtp-integration.dto';
import { ImapError } from '../transports/imap/imap-client';
import {
  defaultImapSettings,
  savesToSent,
  type ImapSettings,
} from '../transports/imap/sent-folder';
import { endpointKey, SecretEndpointError } from '../transports/accounts/endpoints';
import { MailAccounts, ownImapSettings } from '../transports/accounts/mail-accounts';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { classifyForPerson, SmtpConnector, unprocessable } from './smtp-connector';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import {
  lastErrorView,
  notConnected,
  saveAccount,
  SmtpIntegrationService,
  toTestEmailResponse,
} from './smtp-integration.service';
import { buildTestEmail } from './test-email';
import { senderLimitsView } from '../send-limits/account-limits';
import { limitColumns, limitsFromRequest } from '../send-limits/dto/send-limits.dto';
import { ownLimits } from '../send-limits/send-limits';
import { senderTransportKey } from '../transports/accounts/transport-keys';
import { accountAuth } from '../transports/accounts/account-auth';
import { AccessTokens } from '../transports/oauth/access-tokens';
import { senderOwner } from '../transports/oauth/oauth-grant.entity';
import { SmtpError } from '../transports/smtp/smtp-errors';

export const SENDER_ID_MESSAGE = 'sender ids are 1 to 200 letters, digits or . _ : @ + -';

export function toSenderIdentityView(
  s: SenderIdentity,
  integration: Pick<
    SmtpIntegration,
    'host' | 'username' | 'fromAddress' | 'limitPerMinute' | 'limitPerDay'
  >,
): SenderIdentityResponse {
  const imap = ownImapSettings(s);
  return {
    senderId: s.senderId,
    email: s.email,
    fromName: s.fromName,
    status: s.status,
    saveToSent: s.saveToSent,
    savesToSent: savesToSent(s.saveToSent, integration.host),
    imap: imap ? { ...imap, sentFolder: s.sentFolder } : null,
    hasPassword: Boolean(s.passwordSealed),
    auth: accountAuth(s, s.email),
    ...senderLimitsView(s, integration),
    lastError: lastErrorView(s),
    verifiedAt: s.verifiedAt.toISOString(),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** A sender's IMAP columns: those of the server given, else the ones it has. */
export function senderImapColumns(
  given: (ImapSettings & { sentFolder?: string | null }) | null | undefined,
  existing: SenderIdentity | null,
): Pick<SenderIdentity, 'imapHost' | 'imapPort' | 'imapSecurity' | 'sentFolder'> {
  return given
    ? {
        imapHost: given.host,
        imapPort: given.port,
        imapSecurity: given.security,
        sentFolder: given.sentFolder ?? null,
      }
    : {
        imapHost: existing?.imapHost ?? null,
        imapPort: existing?.imapPort ?? null,
        imapSecurity: existing?.imapSecurity ?? null,
        sentFolder: existing?.sentFolder ?? null,
      };
}

/** Marketers' and agents' own logins on the program's SMTP server, and copies to their Sent folder. */
@Injectable()
export class SenderIdentitiesService {
  constructor(
    @InjectRepository(SenderIdentity) private readonly identities: Repository<SenderIdentity>,
    private readonly smtp: SmtpIntegrationService,
    private readonly secrets: IntegrationSecrets,
    private readonly connector: SmtpConnector,
    private readonly pool: SmtpTransportPool,
    private readonly accounts: MailAccounts,
    private readonly tokens: AccessTokens,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  assertSenderId(senderId: string): void {
    if (!PARTICIPANT_ID.test(senderId)) {
      throw AppError.badRequest(
        'INVALID_SENDER_ID',
        `"${senderId.slice(0, 50)}" is not a valid sender id: ${SENDER_ID_MESSAGE}.`,
      );
    }
  }

  find(programId: string, senderId: string): Promise<SenderIdentity | null> {
    return this.accounts.findSender(programId, senderId);
  }

  async list(programId: string): Promise<SenderIdentityResponse[]> {
    const integration = await this.smtp.find(programId);
    if (!integration) return [];
    const rows = await this.identities.find({ where: { programId }, order: { senderId: 'ASC' } });
    return rows.map((row) => toSenderIdentityView(row, integration));
  }

  async get(programId: string, senderId: string): Promise<SenderIdentityResponse> {
    const integration = await this.smtp.find(programId);
    const found = integration ? await this.find(programId, senderId) : null;
    if (!integration || !found) throw AppError.notFound('Sender', senderId);
    return toSenderIdentityView(found, integration);
  }

  /**
   * Creates or replaces a sender after checking its login on the program's server (and its IMAP
   * login when IMAP settings are given). Fields left out keep their values; `imap: null` clears them.
   */
  async put(
    program: Program,
    senderId: string,
    dto: PutSenderIdentityDto,
  ): Promise<{ view: SenderIdentityResponse; created: boolean }> {
    this.assertSenderId(senderId);
    const integration = await this.smtp.find(program.id);
    if (!integration) throw notConnected();
    const existing = await this.find(program.id, senderId);
    const saveToSent = dto.saveToSent ?? existing?.saveToSent ?? 'auto';
    const imap =
      dto.imap === null
        ? { imapHost: null, imapPort: null, imapSecurity: null, sentFolder: null }
        : senderImapColumns(dto.imap, existing);
    // Where the password will be used: the program's server, and the IMAP server for Sent copies.
    const smtpEndpoint = endpointKey(integration);
    const imapEndpoint = endpointKey(
      ownImapSettings(imap) ?? defaultImapSettings(integration.host),
    );
    let password = dto.password;
    if (password === undefined) {
      // A stored password goes only to the exact servers it was entered for.
      const why = !existing?.passwordSealed
        ? existing?.authType === 'oauth2'
          ? 'this sender signs in with OAuth and has no password stored'
          : 'this sender has none stored'
        : existing.email.toLowerCase() !== dto.email.toLowerCase()
          ? 'the address changed'
          : existing.smtpEndpoint !== smtpEndpoint
            ? `the program's SMTP server changed since it was entered`
            : existing.imapEndpoint !== imapEndpoint
              ? 'the IMAP server changed'
              : null;
      if (why || !existing?.passwordSealed) {
        throw AppError.badRequest(
          'SENDER_PASSWORD_REQUIRED',
          `Enter the password of ${dto.email} on ${integration.host}: ${why}, and a stored password is only sent to the servers it was entered for.`,
        );
      }
      password = this.secrets.open(program.id, existing.passwordSealed);
    }
    const allowInsecure = effectiveSettings(program).allowInsecureSmtp;
    await this.connector.verify({
      host: integration.host,
      port: integration.port,
      security: integration.security,
      username: dto.email,
      password,
      allowInsecure,
    });

    if (dto.imap && savesToSent(saveToSent, integration.host)) {
      await this.connector.verifySentFolder(
        { host: dto.imap.host, port: dto.imap.port, security: dto.imap.security },
        { user: dto.email, pass: password },
        allowInsecure,
        dto.imap.sentFolder,
      );
    }

    const now = new Date();
    const fields = {
      email: dto.email,
      fromName: dto.fromName !== undefined ? dto.fromName : (existing?.fromName ?? null),
      passwordSealed: this.secrets.seal(program.id, password),
      authType: 'password' as const,
      oauthProvider: null,
      saveToSent,
      ...limitColumns(limitsFromRequest(dto.limits, existing ? ownLimits(existing) : null)),
      ...imap,
      smtpEndpoint,
      imapEndpoint,
      status: 'connected' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      verifiedAt: now,
      updatedAt: now,
    };
    const { row, created } = await saveAccount(
      this.identities,
      { programId: program.id, senderId },
      existing,
      fields,
      now,
      () => this.find(program.id, senderId),
    );
    // Logging in with a password now: an OAuth sign-in it had is forgotten.
    if (existing?.authType === 'oauth2')
      await this.tokens.remove(program.id, [senderOwner(senderId)]);
    this.logger.info({ programId: program.id, senderId, created }, 'sender identity verified');
    return { view: toSenderIdentityView(row, integration), created };
  }

  async remove(programId: string, senderId: string): Promise<void> {
    const existing = await this.find(programId, senderId);
    if (!existing) throw AppError.notFound('Sender', senderId);
    await this.identities.delete({ id: existing.id });
    await this.tokens.remove(programId, [senderOwner(senderId)]);
    const integration = await this.smtp.find(programId);
    if (integration) await this.pool.close(senderTransportKey(integration.id, senderId));
  }

  /**
   * A real email From the sender, with the sender's login; when copies go to Sent, the exact
   * message is filed there too and the answer says whether that worked.
   */
  async sendTest(program: Program, senderId: string, to: string): Promise<TestEmailResponse> {
    const integration = await this.smtp.find(program.id);
    if (!integration) throw notConnected();
    const identity = await this.find(program.id, senderId);
    if (!identity) throw AppError.notFound('Sender', senderId);
    let settings;
    try {
      settings = this.accounts.senderSettings(identity, integration, program);
    } catch (err) {
      if (err instanceof SecretEndpointError) throw AppError.conflict(err.code, err.message);
      throw unprocessable(err);
    }
    const from: MailAddress = {
      address: identity.email,
      name: identity.fromName ?? integration.fromName ?? program.fromName,
    };
    const composed = await composeMessage(buildTestEmail(program, from, to, settings));
    let sent;
    try {
      sent = await this.connector.send(settings, {
        from: identity.email,
        to,
        subject: '',
        raw: composed.raw,
        envelope: { from: identity.email, to: [to] },
      });
    } catch (err) {
      const error = classifyForPerson(err, settings);
      if (error instanceof SmtpError && error.integrationFailing)
        await this.accounts.senderFailed(program.id, senderId, error);
      throw unprocessable(error);
    }
    await this.accounts.senderWorks(identity);
    const result = toTestEmailResponse(sent, composed.messageId);
    if (savesToSent(identity.saveToSent, integration.host))
      result.sentFolder = await this.tryAppend(identity, integration, program, composed.raw);
    return result;
  }

  private async tryAppend(
    identity: SenderIdentity,
    integration: SmtpIntegration,
    program: Program,
    raw: Buffer,
  ): Promise<SentFolderResultResponse> {
    try {
      const { mailbox } = await this.accounts.appendToSent(
        identity,
        integration,
        effectiveSettings(program).allowInsecureSmtp,
        raw,
      );
      return { saved: true, mailbox };
    } catch (err) {
      if (!(err instanceof ImapError) && !(err instanceof SecretEndpointError)) throw err;
      return { saved: false, code: err.code, message: err.message };
    }
  }
}
