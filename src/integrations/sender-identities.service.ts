import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { isUniqueViolation } from '../common/errors/database-errors';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { composeMessage } from '../transports/compose/dkim-signing';
import type { MailAddress } from '../transports/mail-route';
import { SmtpTransportPool } from '../transports/smtp/transport-pool';
import { PARTICIPANT_ID } from '../participants/dto/participant.dto';
import { effectiveSettings, type Program } from '../programs/program.entity';
import type { PutSenderIdentityDto, SenderIdentityResponse } from './dto/sender-identity.dto';
import type { SentFolderResultResponse, TestEmailResponse } from './dto/smtp-integration.dto';
import { ImapError, verifyImap } from '../transports/imap/imap-client';
import { savesToSent } from '../transports/imap/sent-folder';
import { MailAccounts } from '../transports/accounts/mail-accounts';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { classifyForPerson, SmtpConnector, unprocessable } from './smtp-connector';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { lastErrorView, notConnected, SmtpIntegrationService } from './smtp-integration.service';
import { buildTestEmail } from './test-email';
import { senderTransportKey } from '../transports/accounts/transport-keys';

export const SENDER_ID_MESSAGE = 'sender ids are 1 to 200 letters, digits or . _ : @ + -';

export function toSenderIdentityView(
  s: SenderIdentity,
  integration: Pick<SmtpIntegration, 'host'>,
): SenderIdentityResponse {
  return {
    senderId: s.senderId,
    email: s.email,
    fromName: s.fromName,
    status: s.status,
    saveToSent: s.saveToSent,
    savesToSent: savesToSent(s.saveToSent, integration.host),
    imap:
      s.imapHost && s.imapPort && s.imapSecurity
        ? { host: s.imapHost, port: s.imapPort, security: s.imapSecurity, sentFolder: s.sentFolder }
        : null,
    hasPassword: Boolean(s.passwordSealed),
    lastError: lastErrorView(s),
    verifiedAt: s.verifiedAt.toISOString(),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
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
    let password = dto.password;
    if (password === undefined) {
      if (!existing || existing.email.toLowerCase() !== dto.email.toLowerCase()) {
        throw AppError.badRequest(
          'SENDER_PASSWORD_REQUIRED',
          `Enter the password of ${dto.email} on ${integration.host}.`,
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

    const saveToSent = dto.saveToSent ?? existing?.saveToSent ?? 'auto';
    const imap =
      dto.imap === null
        ? { imapHost: null, imapPort: null, imapSecurity: null, sentFolder: null }
        : dto.imap
          ? {
              imapHost: dto.imap.host,
              imapPort: dto.imap.port,
              imapSecurity: dto.imap.security,
              sentFolder: dto.imap.sentFolder ?? null,
            }
          : {
              imapHost: existing?.imapHost ?? null,
              imapPort: existing?.imapPort ?? null,
              imapSecurity: existing?.imapSecurity ?? null,
              sentFolder: existing?.sentFolder ?? null,
            };
    if (dto.imap && savesToSent(saveToSent, integration.host)) {
      try {
        await verifyImap(
          { host: dto.imap.host, port: dto.imap.port, security: dto.imap.security },
          { user: dto.email, pass: password },
          {
            allowPrivateHosts: this.connector.allowPrivateHosts,
            allowInsecure,
            sentFolder: dto.imap.sentFolder,
          },
        );
      } catch (err) {
        throw unprocessable(err);
      }
    }

    const now = new Date();
    const fields = {
      email: dto.email,
      fromName: dto.fromName !== undefined ? dto.fromName : (existing?.fromName ?? null),
      passwordSealed: this.secrets.seal(program.id, password),
      saveToSent,
      ...imap,
      status: 'connected' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      verifiedAt: now,
      updatedAt: now,
    };
    const { row, created } = await this.save(program.id, senderId, existing, fields, now);
    this.logger.info({ programId: program.id, senderId, created }, 'sender identity verified');
    return { view: toSenderIdentityView(row, integration), created };
  }

  async remove(programId: string, senderId: string): Promise<void> {
    const existing = await this.find(programId, senderId);
    if (!existing) throw AppError.notFound('Sender', senderId);
    await this.identities.delete({ id: existing.id });
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
    const settings = this.accounts.senderSettings(identity, integration, program);
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
      if (error.integrationFailing) await this.accounts.senderFailed(program.id, senderId, error);
      throw unprocessable(error);
    }
    await this.accounts.senderWorks(identity);
    const result: TestEmailResponse = {
      accepted: sent.accepted,
      rejected: sent.rejected.map(({ address, code, message, permanent }) => ({
        address,
        code,
        message,
        permanent,
      })),
      response: sent.response,
      messageId: composed.messageId,
    };
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
      if (!(err instanceof ImapError)) throw err;
      return { saved: false, code: err.code, message: err.message };
    }
  }

  private async save(
    programId: string,
    senderId: string,
    existing: SenderIdentity | null,
    fields: Omit<SenderIdentity, 'id' | 'programId' | 'senderId' | 'version' | 'createdAt'>,
    now: Date,
  ): Promise<{ row: SenderIdentity; created: boolean }> {
    if (existing) {
      await this.identities.update(
        { id: existing.id },
        { ...fields, version: () => '"version" + 1' },
      );
      return { row: Object.assign(existing, fields), created: false };
    }
    const row = this.identities.create({
      id: randomUUID(),
      programId,
      senderId,
      ...fields,
      version: 1,
      createdAt: now,
    });
    try {
      await this.identities.insert(row);
      return { row, created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const winner = await this.find(programId, senderId);
      if (!winner) throw err;
      return this.save(programId, senderId, winner, fields, now);
    }
  }
}
