import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DeepPartial, FindOptionsWhere, Repository, type QueryDeepPartialEntity } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { isUniqueViolation } from '../common/errors/database-errors';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import type { MailAddress } from '../transports/mail-route';
import { normalizeHost } from '../transports/smtp/host-guard';
import type { SmtpSendResult } from '../transports/smtp/smtp-sender';
import type { SmtpSettings } from '../transports/smtp/smtp-settings';
import { SmtpTransportPool } from '../transports/smtp/transport-pool';
import { effectiveSettings, type Program } from '../programs/program.entity';
import type {
  ConnectSmtpDto,
  SmtpIntegrationResponse,
  TestEmailResponse,
} from './dto/smtp-integration.dto';
import { endpointKey, sameEndpoint } from '../transports/accounts/endpoints';
import { MailAccounts } from '../transports/accounts/mail-accounts';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { classifyForPerson, SmtpConnector, unprocessable } from './smtp-connector';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { buildTestEmail } from './test-email';
import { integrationLimitsView } from '../send-limits/account-limits';
import { limitColumns, limitsFromRequest } from '../send-limits/dto/send-limits.dto';
import { ownLimits } from '../send-limits/send-limits';
import { integrationTransportKey, senderTransportKey } from '../transports/accounts/transport-keys';
import { accountAuth } from '../transports/accounts/account-auth';
import { AccessTokens } from '../transports/oauth/access-tokens';
import { SmtpError } from '../transports/smtp/smtp-errors';

export function lastErrorView(row: {
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: Date | null;
}) {
  if (!row.lastErrorCode) return null;
  return {
    code: row.lastErrorCode,
    message: row.lastErrorMessage ?? '',
    at: (row.lastErrorAt ?? new Date(0)).toISOString(),
  };
}

export function toSmtpIntegrationView(i: SmtpIntegration): SmtpIntegrationResponse {
  return {
    status: i.status,
    host: i.host,
    port: i.port,
    security: i.security,
    username: i.username,
    testFromAddress: i.testFromAddress,
    fromAddress: i.fromAddress,
    fromName: i.fromName,
    hasPassword: Boolean(i.passwordSealed),
    auth: accountAuth(i, i.username),
    ...integrationLimitsView(i),
    connectedAt: i.connectedAt.toISOString(),
    lastError: lastErrorView(i),
    updatedAt: i.updatedAt.toISOString(),
  };
}

/** What a test send answers: the server's verdict on each recipient, and the message's id. */
export function toTestEmailResponse(sent: SmtpSendResult, messageId: string): TestEmailResponse {
  return {
    accepted: sent.accepted,
    rejected: sent.rejected.map(({ address, code, message, permanent }) => ({
      address,
      code,
      message,
      permanent,
    })),
    response: sent.response,
    messageId,
  };
}

type AccountRow = { id: string; programId: string; version: number; createdAt: Date };

/**
 * Saves an integration or a sender: `existing` updated to `fields` with a new version, or a new
 * row with `key`. Two saves of a new account at once both insert; the one that loses updates the
 * winner's row, found by `findWinner`.
 */
export async function saveAccount<T extends AccountRow, K extends keyof T>(
  repo: Repository<T>,
  key: Pick<T, K>,
  existing: T | null,
  fields: Omit<T, keyof AccountRow | K>,
  now: Date,
  findWinner: () => Promise<T | null>,
): Promise<{ row: T; created: boolean }> {
  if (existing) {
    await repo.update(
      { id: existing.id } as FindOptionsWhere<T>,
      { ...fields, version: () => '"version" + 1' } as QueryDeepPartialEntity<T>,
    );
    return { row: Object.assign(existing, fields), created: false };
  }
  const row = repo.create({
    id: randomUUID(),
    ...key,
    ...fields,
    version: 1,
    createdAt: now,
  } as DeepPartial<T>);
  try {
    await repo.insert(row as QueryDeepPartialEntity<T>);
    return { row, created: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await findWinner();
    if (!winner) throw err;
    return saveAccount(repo, key, winner, fields, now, findWinner);
  }
}

export const notConnected = () =>
  AppError.conflict(
    'SMTP_NOT_CONNECTED',
    'No SMTP server is connected for this program; connect one first with PUT /v1/integrations/smtp.',
  );

/** The program's own SMTP server: connect (verified first), read, disconnect, test. */
@Injectable()
export class SmtpIntegrationService {
  constructor(
    @InjectRepository(SmtpIntegration) private readonly integrations: Repository<SmtpIntegration>,
    @InjectRepository(SenderIdentity) private readonly identities: Repository<SenderIdentity>,
    private readonly secrets: IntegrationSecrets,
    private readonly connector: SmtpConnector,
    private readonly pool: SmtpTransportPool,
    private readonly accounts: MailAccounts,
    private readonly tokens: AccessTokens,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  find(programId: string): Promise<SmtpIntegration | null> {
    return this.accounts.findIntegration(programId);
  }

  /**
   * The server moved: what the senders' credentials were verified on is not the new one, so
   * they are not sent there. Password senders need their passwords again; OAuth senders are
   * connected again, their mail waiting meanwhile.
   */
  async sendersMoved(programId: string, integration: SmtpIntegration, now: Date): Promise<void> {
    let affected = 0;
    for (const [authType, status] of [
      ['password', 'needs_password'],
      ['oauth2', 'reauthorization_required'],
    ] as const) {
      const moved = await this.identities
        .createQueryBuilder()
        .update()
        .set({ status, version: () => '"version" + 1', updatedAt: now })
        .where(
          '"programId" = :programId AND "smtpEndpoint" <> :endpoint AND "authType" = :authType',
          { programId, endpoint: endpointKey(integration), authType },
        )
        .execute();
      affected += moved.affected ?? 0;
    }
    if (affected) {
      this.logger.info(
        { programId, senders: affected },
        'sender identities need their logins again: the smtp server moved',
      );
    }
  }

  async get(programId: string): Promise<SmtpIntegration> {
    const found = await this.find(programId);
    if (!found) {
      throw new AppError(
        404,
        'SMTP_NOT_CONNECTED',
        'No SMTP server is connected; mail goes out through the built-in sender.',
      );
    }
    return found;
  }

  /**
   * Verifies the connection, the login and that the server would take mail From the test (else
   * the default) address, then saves. A failed verify is a 422 and changes nothing.
   * An omitted password keeps the stored one, but only for the same host and username: a stored
   * password is never sent to a server it was not entered for.
   */
  async connect(program: Program, dto: ConnectSmtpDto): Promise<SmtpIntegration> {
    const existing = await this.find(program.id);
    const username = dto.username ?? null;
    let password = dto.password;
    const endpoint = {
      host: normalizeHost(dto.host) ?? dto.host,
      port: dto.port,
      security: dto.security,
    };
    if (password === undefined && username && existing?.passwordSealed) {
      // A stored password goes only to the exact server it was entered for.
      const sameServer = sameEndpoint(existing, endpoint) && existing.username === username;
      if (!sameServer) {
        throw AppError.badRequest(
          'SMTP_PASSWORD_REQUIRED',
          'The host, port, security or username changed: enter the password for this server and account; a stored password is only sent to the server it was entered for.',
        );
      }
      password = this.secrets.open(program.id, existing.passwordSealed);
    }
    const settings: SmtpSettings = {
      host: dto.host,
      port: dto.port,
      security: dto.security,
      username: username ?? undefined,
      password,
      allowInsecure: effectiveSettings(program).allowInsecureSmtp,
    };
    // The address test emails go out from is the one tried, as sendTest uses it.
    const verified = await this.connector.verify(settings, dto.testFromAddress ?? dto.fromAddress);
    const now = new Date();
    const fields = {
      host: verified.host,
      port: dto.port,
      security: dto.security,
      username,
      passwordSealed: password ? this.secrets.seal(program.id, password) : null,
      testFromAddress: dto.testFromAddress ?? null,
      fromAddress: dto.fromAddress,
      fromName: dto.fromName ?? null,
      ...limitColumns(limitsFromRequest(dto.limits, existing ? ownLimits(existing) : null)),
      authType: 'password' as const,
      oauthProvider: null,
      status: 'connected' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      connectedAt: now,
      updatedAt: now,
    };
    const { row, created } = await saveAccount(
      this.integrations,
      { programId: program.id },
      existing,
      fields,
      now,
      () => this.find(program.id),
    );
    // Read back after an update, for the row's new version.
    const saved = created ? row : ((await this.integrations.findOneBy({ id: row.id })) ?? row);
    // Logging in with a password now: an OAuth sign-in it had is forgotten.
    if (existing?.authType === 'oauth2') await this.tokens.remove(program.id, ['integration']);
    await this.sendersMoved(program.id, saved, now);
    this.logger.info(
      { programId: program.id, host: saved.host, port: saved.port, security: saved.security },
      'smtp integration connected',
    );
    return saved;
  }

  /** Back to the built-in sender: the integration and its sender identities go, with their credentials. */
  async disconnect(programId: string): Promise<void> {
    const existing = await this.find(programId);
    if (!existing) return;
    const senders = await this.identities.find({
      where: { programId },
      select: { senderId: true },
    });
    await this.integrations.manager.transaction(async (manager) => {
      await manager.delete(SenderIdentity, { programId });
      await manager.delete(SmtpIntegration, { id: existing.id });
      await this.tokens.remove(programId, 'sending', manager);
    });
    await Promise.all([
      this.pool.close(integrationTransportKey(existing.id)),
      ...senders.map((s) => this.pool.close(senderTransportKey(existing.id, s.senderId))),
    ]);
    this.logger.info({ programId, host: existing.host }, 'smtp integration disconnected');
  }

  /** A real email through the saved integration, From the test address; 422 with the server's refusal. */
  async sendTest(program: Program, to: string): Promise<TestEmailResponse> {
    const integration = await this.find(program.id);
    if (!integration) throw notConnected();
    let settings: SmtpSettings;
    try {
      settings = this.accounts.integrationSettings(integration, program);
    } catch (err) {
      throw unprocessable(err);
    }
    const from: MailAddress = {
      address: integration.testFromAddress ?? integration.fromAddress,
      name: integration.fromName ?? program.fromName,
    };
    try {
      const sent = await this.connector.send(settings, buildTestEmail(program, from, to, settings));
      await this.accounts.integrationWorks(integration);
      return toTestEmailResponse(sent, sent.messageId);
    } catch (err) {
      const error = classifyForPerson(err, settings);
      if (error instanceof SmtpError && error.integrationFailing)
        await this.accounts.integrationFailed(program.id, integration.id, error);
      throw unprocessable(error);
    }
  }
}
