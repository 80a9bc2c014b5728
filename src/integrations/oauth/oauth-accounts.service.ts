import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import {
  In,
  Repository,
  type EntityManager,
  type EntityTarget,
  type QueryDeepPartialEntity,
} from 'typeorm';
import { AppError } from '../../common/errors/app-error';
import { isUniqueViolation } from '../../common/errors/database-errors';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import {
  DEFAULT_FOLDER,
  InboundMailboxService,
  toInboundMailboxView,
} from '../../inbound/mailbox/inbound-mailbox.service';
import {
  inspectMailbox,
  mailboxProblem,
  type FolderState,
} from '../../inbound/mailbox/mailbox-imap';
import { Message } from '../../messages/message.entity';
import { OutboxService } from '../../messages/outbox.service';
import { effectiveSettings, type Program } from '../../programs/program.entity';
import { endpointKey } from '../../transports/accounts/endpoints';
import { ownImapSettings } from '../../transports/accounts/mail-accounts';
import { SenderIdentity } from '../../transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../../transports/accounts/smtp-integration.entity';
import { defaultImapSettings, savesToSent } from '../../transports/imap/sent-folder';
import { AccessTokens } from '../../transports/oauth/access-tokens';
import { senderOwner, type OAuthGrantOwner } from '../../transports/oauth/oauth-grant.entity';
import type {
  OAuthProvider,
  OAuthProviderName,
  OAuthPurpose,
} from '../../transports/oauth/oauth-providers';
import type { TokenSet } from '../../transports/oauth/token-endpoint';
import { normalizeHost } from '../../transports/smtp/host-guard';
import type { XOAuth2Login } from '../../transports/smtp/xoauth2';
import { senderImapColumns, toSenderIdentityView } from '../sender-identities.service';
import { SmtpConnector } from '../smtp-connector';
import {
  notConnected,
  SmtpIntegrationService,
  toSmtpIntegrationView,
} from '../smtp-integration.service';
import type { OAuthConnectRequest } from './oauth-connect-request';

/** What was connected, as the API shows it (never a token). */
export interface ConnectedAccount {
  purpose: OAuthPurpose;
  provider: OAuthProviderName;
  email: string;
  senderId: string | null;
  view: object;
}

type Tokens = TokenSet & { refreshToken: string };

/** The one token just issued, for the checks before saving; nothing to refresh yet. */
const justIssued = (accessToken: string): XOAuth2Login => ({
  key: 'verify',
  accessToken: () => Promise.resolve(accessToken),
});

const WAKE_BATCH = 500;

/**
 * Saves a connected account in the connect's transaction: `existing` updated to `fields` with a
 * new version, or a new row with `key`. Returns the row's id.
 */
async function writeAccount<T extends SmtpIntegration | SenderIdentity>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  existing: T | null,
  key: Partial<T>,
  fields: QueryDeepPartialEntity<T>,
  now: Date,
): Promise<string> {
  const id = existing?.id ?? randomUUID();
  if (existing) {
    await manager
      .createQueryBuilder()
      .update(entity)
      .set({ ...fields, version: () => '"version" + 1' })
      .where({ id })
      .execute();
  } else {
    await manager.insert(entity, {
      id,
      ...key,
      ...fields,
      version: 1,
      createdAt: now,
    });
  }
  return id;
}

/**
 * Runs the save of a connect in a transaction. Two connects of one account whose callbacks come
 * at once both find no row and both insert: the one that loses on the unique key runs again,
 * finds the row the other wrote, and replaces it, as a connect after it would.
 */
async function saveConnect<T>(
  manager: EntityManager,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  try {
    return await manager.transaction(work);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return manager.transaction(work);
  }
}

/**
 * Verifies an account with the tokens the provider just issued (an XOAUTH2 login on its SMTP
 * server, and on its IMAP server when one is used) and saves it with its grant. A failed check
 * saves nothing. Messages that waited for the account are queued again.
 */
@Injectable()
export class OAuthAccounts {
  constructor(
    @InjectRepository(SmtpIntegration) private readonly integrations: Repository<SmtpIntegration>,
    @InjectRepository(SenderIdentity) private readonly identities: Repository<SenderIdentity>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly tokens: AccessTokens,
    private readonly connector: SmtpConnector,
    private readonly smtp: SmtpIntegrationService,
    private readonly mailboxes: InboundMailboxService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async connect(
    program: Program,
    purpose: OAuthPurpose,
    provider: OAuthProvider,
    request: OAuthConnectRequest,
    tokens: Tokens,
  ): Promise<ConnectedAccount> {
    const grant = (owner: OAuthGrantOwner) => ({
      programId: program.id,
      owner,
      provider: provider.name,
      email: request.email,
      scope: request.scope ?? provider.scopes({ imap: purpose !== 'integration' }).join(' '),
      tokenUrl: provider.tokenUrl,
      tokens,
    });
    let view: object;
    if (purpose === 'integration')
      view = await this.connectIntegration(
        program,
        provider,
        request,
        tokens,
        grant('integration'),
      );
    else if (purpose === 'sender')
      view = await this.connectSender(program, provider, request, tokens, grant);
    else
      view = await this.connectMailbox(
        program,
        provider,
        request,
        tokens,
        grant('inbound-mailbox'),
      );
    await this.wake(program.id);
    return {
      purpose,
      provider: provider.name,
      email: request.email,
      senderId: request.senderId ?? null,
      view,
    };
  }

  private async connectIntegration(
    program: Program,
    provider: OAuthProvider,
    request: OAuthConnectRequest,
    tokens: Tokens,
    grant: Parameters<AccessTokens['save']>[1],
  ): Promise<object> {
    const endpoint = request.smtp ?? provider.smtp;
    const fromAddress = request.fromAddress ?? request.email;
    const verified = await this.connector.verify(
      {
        ...endpoint,
        username: request.email,
        oauth2: justIssued(tokens.accessToken),
        allowInsecure: effectiveSettings(program).allowInsecureSmtp,
      },
      request.testFromAddress ?? fromAddress,
    );
    const now = new Date();
    const saved = await saveConnect(this.integrations.manager, async (manager) => {
      const existing = await manager.findOneBy(SmtpIntegration, { programId: program.id });
      const fields = {
        host: verified.host,
        port: endpoint.port,
        security: endpoint.security,
        username: request.email,
        passwordSealed: null,
        authType: 'oauth2' as const,
        oauthProvider: provider.name,
        testFromAddress: request.testFromAddress ?? null,
        fromAddress,
        fromName: request.fromName ?? null,
        status: 'connected' as const,
        lastErrorCode: null,
        lastErrorMessage: null,
        lastErrorAt: null,
        connectedAt: now,
        updatedAt: now,
      };
      const key = { programId: program.id };
      const id = await writeAccount(manager, SmtpIntegration, existing, key, fields, now);
      await this.tokens.save(manager, grant);
      return manager.findOneByOrFail(SmtpIntegration, { id });
    });
    await this.smtp.sendersMoved(program.id, saved, now);
    return toSmtpIntegrationView(saved);
  }

  private async connectSender(
    program: Program,
    provider: OAuthProvider,
    request: OAuthConnectRequest,
    tokens: Tokens,
    grant: (owner: OAuthGrantOwner) => Parameters<AccessTokens['save']>[1],
  ): Promise<object> {
    const senderId = request.senderId;
    if (!senderId) throw AppError.badRequest('OAUTH_SENDER_ID_REQUIRED', 'No sender was named.');
    const integration = await this.smtp.find(program.id);
    if (!integration) throw notConnected();
    const allowInsecure = effectiveSettings(program).allowInsecureSmtp;
    // The sender logs in on the program's server, as with a password.
    await this.connector.verify({
      host: integration.host,
      port: integration.port,
      security: integration.security,
      username: request.email,
      oauth2: justIssued(tokens.accessToken),
      allowInsecure,
    });
    const existing = await this.identities.findOneBy({ programId: program.id, senderId });
    const saveToSent = request.saveToSent ?? existing?.saveToSent ?? 'auto';
    const imap = senderImapColumns(request.imap, existing);
    if (request.imap && savesToSent(saveToSent, integration.host)) {
      await this.connector.verifySentFolder(
        request.imap,
        { user: request.email, accessToken: tokens.accessToken },
        allowInsecure,
        request.imap.sentFolder,
      );
    }
    const now = new Date();
    const fields = {
      email: request.email,
      fromName: request.fromName ?? existing?.fromName ?? null,
      passwordSealed: null,
      authType: 'oauth2' as const,
      oauthProvider: provider.name,
      saveToSent,
      ...imap,
      // Where its tokens may go: the server checked now, and the IMAP server for Sent copies.
      smtpEndpoint: endpointKey(integration),
      imapEndpoint: endpointKey(ownImapSettings(imap) ?? defaultImapSettings(integration.host)),
      status: 'connected' as const,
      lastErrorCode: null,
      lastErrorMessage: null,
      lastErrorAt: null,
      verifiedAt: now,
      updatedAt: now,
    };
    const saved = await saveConnect(this.identities.manager, async (manager) => {
      const key = { programId: program.id, senderId };
      // Read again: a connect of the same sender may have saved it since.
      const current = await manager.findOneBy(SenderIdentity, key);
      const id = await writeAccount(manager, SenderIdentity, current, key, fields, now);
      await this.tokens.save(manager, grant(senderOwner(senderId)));
      return manager.findOneByOrFail(SenderIdentity, { id });
    });
    return toSenderIdentityView(saved, integration);
  }

  private async connectMailbox(
    program: Program,
    provider: OAuthProvider,
    request: OAuthConnectRequest,
    tokens: Tokens,
    grant: Parameters<AccessTokens['save']>[1],
  ): Promise<object> {
    const imap = request.imap ?? provider.imap;
    const endpoint = {
      host: normalizeHost(imap.host) ?? imap.host,
      port: imap.port,
      security: imap.security,
    };
    const folder = request.folder ?? DEFAULT_FOLDER;
    let state: FolderState;
    try {
      state = await inspectMailbox(
        endpoint,
        { user: request.email, accessToken: tokens.accessToken },
        {
          allowPrivateHosts: this.config.SMTP_ALLOW_PRIVATE_HOSTS,
          allowInsecure: effectiveSettings(program).allowInsecureSmtp,
          folder,
        },
      );
    } catch (err) {
      const problem = mailboxProblem(err, endpoint);
      throw AppError.unprocessable(problem.code, problem.message);
    }
    await saveConnect(this.integrations.manager, (manager) => this.tokens.save(manager, grant));
    const saved = await this.mailboxes.saveVerified(
      program.id,
      { username: request.email, read: request.read ?? 'bounces' },
      endpoint,
      folder,
      { passwordSealed: null, authType: 'oauth2', oauthProvider: provider.name },
      state,
    );
    return toInboundMailboxView(saved);
  }

  /**
   * Messages that waited for a reconnect go out now. Those whose own account still needs one
   * find that out at once and wait again.
   */
  private async wake(programId: string): Promise<void> {
    const waiting = await this.messages.find({
      where: { programId, status: 'queued', errorCode: 'OAUTH_REAUTHORIZATION_REQUIRED' },
      select: { id: true },
    });
    for (let i = 0; i < waiting.length; i += WAKE_BATCH) {
      const ids = waiting.slice(i, i + WAKE_BATCH).map((m) => m.id);
      await this.messages.update(
        { id: In(ids), status: 'queued' },
        { lockedUntil: new Date(Date.now() + this.config.MESSAGE_STALE_MS) },
      );
      await this.outbox.dispatch(ids);
    }
    if (waiting.length) {
      this.logger.info(
        { programId, messages: waiting.length },
        'messages that waited for an oauth reconnect are queued again',
      );
    }
  }
}
