import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import { AppError } from '../../common/errors/app-error';
import { isUniqueViolation } from '../../common/errors/database-errors';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { lastErrorView } from '../../integrations/smtp-integration.service';
import { effectiveSettings, type Program } from '../../programs/program.entity';
import { accountAuth } from '../../transports/accounts/account-auth';
import { sameEndpoint, type Endpoint } from '../../transports/accounts/endpoints';
import type { ImapCredentials } from '../../transports/imap/imap-client';
import { AccountWaitingError } from '../../transports/accounts/account-waiting';
import { OAuthTokenError } from '../../transports/oauth/oauth-errors';
import { AccessTokens } from '../../transports/oauth/access-tokens';
import type { ImapSettings } from '../../transports/imap/sent-folder';
import { normalizeHost } from '../../transports/smtp/host-guard';
import type {
  InboundMailboxResponse,
  InboundMailboxTestResponse,
  PutInboundMailboxDto,
} from './dto/inbound-mailbox.dto';
import { InboundMailbox, type MailboxReadMode } from './inbound-mailbox.entity';
import { inspectMailbox, mailboxProblem, type FolderState } from './mailbox-imap';

export const DEFAULT_FOLDER = 'INBOX';

export function toInboundMailboxView(m: InboundMailbox, now = new Date()): InboundMailboxResponse {
  return {
    status: m.status,
    host: m.host,
    port: m.port,
    security: m.security,
    username: m.username,
    folder: m.folder,
    read: m.readMode,
    hasPassword: Boolean(m.passwordSealed),
    auth: accountAuth(m, m.username),
    reading: Boolean(m.leaseOwner && m.leaseUntil && m.leaseUntil > now),
    lastCheckedAt: m.lastCheckedAt?.toISOString() ?? null,
    lastError: lastErrorView(m),
    retryAt: m.retryAt?.toISOString() ?? null,
    verifiedAt: m.verifiedAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

const notConnected = () =>
  new AppError(
    404,
    'MAILBOX_NOT_CONNECTED',
    'No inbound mailbox is connected; connect one with PUT /v1/integrations/inbound-mailbox.',
  );

/**
 * The program's own mailbox for what comes back (API side): connect (login and folder checked
 * first), read, remove, test. The worker role reads it (MailboxReader).
 */
@Injectable()
export class InboundMailboxService {
  private readonly allowPrivateHosts: boolean;

  constructor(
    @InjectRepository(InboundMailbox) private readonly mailboxes: Repository<InboundMailbox>,
    private readonly secrets: IntegrationSecrets,
    private readonly tokens: AccessTokens,
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.allowPrivateHosts = config.SMTP_ALLOW_PRIVATE_HOSTS;
  }

  find(programId: string): Promise<InboundMailbox | null> {
    return this.mailboxes.findOneBy({ programId });
  }

  async get(programId: string): Promise<InboundMailbox> {
    const found = await this.find(programId);
    if (!found) throw notConnected();
    return found;
  }

  /**
   * Logs in and opens the folder, then saves; a failure is a 422 and changes nothing. An omitted
   * password keeps the stored one, but only for the same host, port, security and username: a
   * stored password is never sent to a server it was not entered for. The same folder of the
   * same account keeps its place; another one is read from what arrives after this call.
   */
  async put(program: Program, dto: PutInboundMailboxDto): Promise<InboundMailbox> {
    const existing = await this.find(program.id);
    const endpoint: Endpoint = {
      host: normalizeHost(dto.host) ?? dto.host,
      port: dto.port,
      security: dto.security,
    };
    const folder = dto.folder ?? DEFAULT_FOLDER;
    let password = dto.password;
    if (password === undefined) {
      const why = !existing?.passwordSealed
        ? existing?.authType === 'oauth2'
          ? 'it signs in with OAuth and has no password stored'
          : 'none is stored'
        : !sameEndpoint(existing, endpoint)
          ? 'the host, port or security changed'
          : existing.username !== dto.username
            ? 'the username changed'
            : null;
      if (why || !existing?.passwordSealed) {
        throw AppError.badRequest(
          'MAILBOX_PASSWORD_REQUIRED',
          `Enter the password of ${dto.username} on ${endpoint.host}: ${why}, and a stored password is only sent to the server it was entered for.`,
        );
      }
      password = this.secrets.open(program.id, existing.passwordSealed);
    }
    const state = await this.inspect(
      program,
      endpoint,
      { user: dto.username, pass: password },
      folder,
    );
    const saved = await this.saveVerified(
      program.id,
      { username: dto.username, read: dto.read },
      endpoint,
      folder,
      {
        passwordSealed: this.secrets.seal(program.id, password),
        authType: 'password',
        oauthProvider: null,
      },
      state,
    );
    // Logging in with a password now: an OAuth sign-in it had is forgotten.
    if (existing?.authType === 'oauth2') await this.tokens.remove(program.id, ['inbound-mailbox']);
    this.logger.info(
      { programId: program.id, host: saved.host, folder: saved.folder, read: saved.readMode },
      'inbound mailbox connected',
    );
    return saved;
  }

  async remove(programId: string): Promise<void> {
    const removed = await this.mailboxes.delete({ programId });
    await this.tokens.remove(programId, ['inbound-mailbox']);
    // The worker reading it notices at its next lease renewal and logs out.
    if (removed.affected) this.logger.info({ programId }, 'inbound mailbox removed');
  }

  /** Logs in with the stored settings and opens the folder: how many messages it holds. */
  async test(program: Program): Promise<InboundMailboxTestResponse> {
    const mailbox = await this.get(program.id);
    let credentials: ImapCredentials;
    if (mailbox.authType === 'oauth2') {
      const login = this.tokens.login(program.id, 'inbound-mailbox', mailbox.version);
      try {
        credentials = { user: mailbox.username, accessToken: await login.accessToken() };
      } catch (err) {
        if (err instanceof AccountWaitingError) throw AppError.conflict(err.reason, err.message);
        if (err instanceof OAuthTokenError) throw new AppError(502, err.reason, err.message);
        throw err;
      }
    } else {
      credentials = {
        user: mailbox.username,
        pass: this.secrets.open(program.id, mailbox.passwordSealed ?? ''),
      };
    }
    const state = await this.inspect(program, mailbox, credentials, mailbox.folder);
    return { folder: mailbox.folder, messages: state.messages };
  }

  private async inspect(
    program: Program,
    settings: ImapSettings,
    credentials: ImapCredentials,
    folder: string,
  ): Promise<FolderState> {
    const where = { host: settings.host, port: settings.port, security: settings.security };
    try {
      return await inspectMailbox(where, credentials, {
        allowPrivateHosts: this.allowPrivateHosts,
        allowInsecure: effectiveSettings(program).allowInsecureSmtp,
        folder,
      });
    } catch (err) {
      const problem = mailboxProblem(err, where);
      throw AppError.unprocessable(problem.code, problem.message);
    }
  }

  /**
   * Saves a mailbox whose login and folder were just checked, logging in with a password or
   * with OAuth (the grant is saved by the caller).
   */
  async saveVerified(
    programId: string,
    dto: { username: string; read: MailboxReadMode },
    endpoint: Endpoint,
    folder: string,
    auth: Pick<InboundMailbox, 'passwordSealed' | 'authType' | 'oauthProvider'>,
    state: FolderState,
    retried = false,
  ): Promise<InboundMailbox> {
    const existing = await this.find(programId);
    const now = new Date();
    const fields = {
      ...endpoint,
      username: dto.username,
      ...auth,
      folder,
      readMode: dto.read,
      status: 'connected' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      failures: 0,
      retryAt: null,
      verifiedAt: now,
      updatedAt: now,
    };
    const sameSource =
      existing &&
      sameEndpoint(existing, endpoint) &&
      existing.username === dto.username &&
      existing.folder === folder;
    if (existing && sameSource) {
      // The cursor and the lease stay; the new version tells the worker to start again.
      await this.mailboxes.update(
        { id: existing.id },
        { ...fields, version: () => '"version" + 1' },
      );
      return (await this.mailboxes.findOneBy({ id: existing.id })) ?? existing;
    }
    // Another folder, account or server: a mailbox of its own, whose UIDs start afresh, read from
    // what arrives from now on.
    const row = this.mailboxes.create({
      id: randomUUID(),
      programId,
      ...fields,
      uidValidity: state.uidValidity,
      lastUid: state.uidValidity !== null && state.uidNext !== null ? state.uidNext - 1 : null,
      lastCheckedAt: null,
      leaseOwner: null,
      leaseUntil: null,
      version: (existing?.version ?? 0) + 1,
      createdAt: now,
    });
    try {
      await this.mailboxes.manager.transaction(async (manager) => {
        if (existing) await manager.delete(InboundMailbox, { id: existing.id });
        await manager.insert(InboundMailbox, row);
      });
    } catch (err) {
      // Two PUTs at once: the second saves over what the first saved.
      if (retried || !isUniqueViolation(err)) throw err;
      return this.saveVerified(programId, dto, endpoint, folder, auth, state, true);
    }
    return row;
  }
}
