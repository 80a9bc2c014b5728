import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, Repository, type QueryDeepPartialEntity } from 'typeorm';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { EntityQueries } from '../../database/entity-queries';
import { effectiveSettings, type Program } from '../../programs/program.entity';
import { appendToSentFolder, ImapError, type ImapCredentials } from '../imap/imap-client';
import { AccessTokens, reauthorizationRequired } from '../oauth/access-tokens';
import { senderOwner } from '../oauth/oauth-grant.entity';
import type { OAuthProviderName } from '../oauth/oauth-providers';
import { defaultImapSettings, type ImapSettings } from '../imap/sent-folder';
import type { SmtpSettings } from '../smtp/smtp-settings';
import { endpointKey, SecretEndpointError } from './endpoints';
import { SenderIdentity } from './sender-identity.entity';
import { SmtpIntegration } from './smtp-integration.entity';

/** The columns both kinds of account have for whether they work. */
type AccountState = Pick<
  SmtpIntegration,
  'id' | 'lastErrorCode' | 'lastErrorMessage' | 'lastErrorAt' | 'version' | 'updatedAt'
> & { status: SenderIdentity['status'] };

// TypeORM cannot work out a partial of a generic entity: the values are checked against the
// columns every account has, then handed over as the entity's own.
const accountChanges = <T>(values: QueryDeepPartialEntity<AccountState>) =>
  values as QueryDeepPartialEntity<T>;

/** Why an account stopped working, as shown on it. */
export interface AccountError {
  code: string;
  message: string;
}

/** The IMAP server set on the identity; null when it is to be guessed from the SMTP host. */
export function ownImapSettings(
  identity: Pick<SenderIdentity, 'imapHost' | 'imapPort' | 'imapSecurity'>,
): ImapSettings | null {
  if (!identity.imapHost || !identity.imapPort || !identity.imapSecurity) return null;
  return { host: identity.imapHost, port: identity.imapPort, security: identity.imapSecurity };
}

/**
 * The accounts mail leaves through: a program's SMTP integration and its sender identities, as
 * stored. Reads them, opens their credentials for a connection, and records when one stops or
 * starts working again; the integrations API writes them.
 */
@Injectable()
export class MailAccounts {
  private readonly integrationQueries: EntityQueries<SmtpIntegration>;
  private readonly allowPrivateHosts: boolean;

  constructor(
    @InjectRepository(SmtpIntegration) private readonly integrations: Repository<SmtpIntegration>,
    @InjectRepository(SenderIdentity) private readonly identities: Repository<SenderIdentity>,
    private readonly secrets: IntegrationSecrets,
    private readonly tokens: AccessTokens,
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.integrationQueries = new EntityQueries(integrations);
    this.allowPrivateHosts = config.SMTP_ALLOW_PRIVATE_HOSTS;
  }

  findIntegration(programId: string): Promise<SmtpIntegration | null> {
    return this.integrationQueries.findOne({ programId });
  }

  findIntegrationById(id: string): Promise<SmtpIntegration | null> {
    return this.integrations.findOneBy({ id });
  }

  findSender(programId: string, senderId: string): Promise<SenderIdentity | null> {
    return this.identities.findOneBy({ programId, senderId });
  }

  /**
   * Connection settings of the integration, with its stored password opened, or its XOAUTH2
   * login. Throws AccountWaitingError while its OAuth sign-in needs to be connected again.
   */
  integrationSettings(
    integration: SmtpIntegration,
    program: Pick<Program, 'settings'>,
  ): SmtpSettings {
    if (integration.authType === 'oauth2') {
      assertSignedIn(integration, integration.username);
      return serverSettings(integration, program, {
        username: integration.username ?? undefined,
        oauth2: this.tokens.login(integration.programId, 'integration', integration.version),
      });
    }
    return serverSettings(integration, program, {
      username: integration.username ?? undefined,
      password: integration.passwordSealed
        ? this.secrets.open(integration.programId, integration.passwordSealed)
        : undefined,
    });
  }

  /**
   * The program's server with a sender identity's own login. Throws SecretEndpointError when the
   * server is no longer the one the identity's password was entered for: it is not sent there.
   */
  senderSettings(
    identity: SenderIdentity,
    integration: SmtpIntegration,
    program: Pick<Program, 'settings'>,
  ): SmtpSettings {
    if (identity.authType === 'oauth2') {
      assertSignedIn(identity, identity.email);
      // An access token, like a password, goes only to the server it was verified on.
      if (identity.smtpEndpoint !== endpointKey(integration))
        throw reauthorizationRequired({
          provider: oauthProviderOf(identity),
          email: identity.email,
        });
      return serverSettings(integration, program, {
        username: identity.email,
        oauth2: this.senderLogin(identity),
      });
    }
    if (identity.smtpEndpoint !== endpointKey(integration)) {
      throw new SecretEndpointError(
        'SENDER_PASSWORD_REQUIRED',
        `The program's SMTP server changed since the password of ${identity.email} was entered, so it is not sent to the new one; enter it again with PUT /v1/integrations/smtp/senders/${identity.senderId}.`,
      );
    }
    return serverSettings(integration, program, {
      username: identity.email,
      password: this.secrets.open(identity.programId, identity.passwordSealed ?? ''),
    });
  }

  private senderLogin(identity: SenderIdentity) {
    return this.tokens.login(identity.programId, senderOwner(identity.senderId), identity.version);
  }

  /** The identity's IMAP server, or one guessed from the SMTP host. */
  imapSettings(identity: SenderIdentity, integration: Pick<SmtpIntegration, 'host'>): ImapSettings {
    return ownImapSettings(identity) ?? defaultImapSettings(integration.host);
  }

  /**
   * Files the exact bytes of a sent message in the identity's Sent folder; throws an ImapError.
   * With OAuth, a refused token is replaced once and the login tried again.
   */
  async appendToSent(
    identity: SenderIdentity,
    integration: SmtpIntegration,
    allowInsecure: boolean,
    raw: Buffer,
  ): Promise<{ mailbox: string }> {
    const imap = this.imapSettings(identity, integration);
    const oauth = identity.authType === 'oauth2';
    if (identity.imapEndpoint !== endpointKey(imap)) {
      if (oauth)
        throw reauthorizationRequired({
          provider: oauthProviderOf(identity),
          email: identity.email,
        });
      throw new SecretEndpointError(
        'SENDER_PASSWORD_REQUIRED',
        `The IMAP server for Sent copies changed since the password of ${identity.email} was entered, so it is not sent there; enter it again with PUT /v1/integrations/smtp/senders/${identity.senderId}.`,
      );
    }
    const options = {
      allowPrivateHosts: this.allowPrivateHosts,
      allowInsecure,
      sentFolder: identity.sentFolder,
    };
    if (!oauth) {
      const credentials: ImapCredentials = {
        user: identity.email,
        pass: this.secrets.open(identity.programId, identity.passwordSealed ?? ''),
      };
      return appendToSentFolder(imap, credentials, raw, options);
    }
    const login = this.senderLogin(identity);
    const token = await login.accessToken();
    try {
      return await appendToSentFolder(
        imap,
        { user: identity.email, accessToken: token },
        raw,
        options,
      );
    } catch (err) {
      if (!(err instanceof ImapError) || err.code !== 'IMAP_XOAUTH2_REFUSED') throw err;
      const renewed = await login.accessToken(token);
      return appendToSentFolder(imap, { user: identity.email, accessToken: renewed }, raw, options);
    }
  }

  /** Marks the integration failing with why. */
  async integrationFailed(
    programId: string,
    integrationId: string,
    error: AccountError,
  ): Promise<void> {
    await this.markFailing(this.integrations, { id: integrationId, programId }, error);
    this.logger.warn({ programId, integrationId, code: error.code }, 'smtp integration failing');
  }

  /** A send that worked through a failing integration shows it works again. */
  integrationWorks(integration: SmtpIntegration): Promise<void> {
    return this.markWorking(this.integrations, integration);
  }

  async senderFailed(programId: string, senderId: string, error: AccountError): Promise<void> {
    await this.markFailing(this.identities, { programId, senderId }, error);
    this.logger.warn({ programId, senderId, code: error.code }, 'sender identity failing');
  }

  senderWorks(identity: SenderIdentity): Promise<void> {
    return this.markWorking(this.identities, identity);
  }

  /**
   * Records that a route stopped working (an authentication failure, a refused From): on the
   * sender identity when its login was used, else on the integration. A route of an
   * integration that has since been replaced, or of a sender since removed, changes nothing.
   */
  async routeFailed(
    programId: string,
    integrationId: string,
    senderId: string | null | undefined,
    error: AccountError,
  ): Promise<void> {
    const integration = await this.findIntegration(programId);
    if (!integration || integration.id !== integrationId) return;
    if (senderId) {
      if (await this.findSender(programId, senderId))
        await this.senderFailed(programId, senderId, error);
      return;
    }
    await this.integrationFailed(programId, integrationId, error);
  }

  /** The row, found by `key`, fails with why; its version changes only when its status does. */
  private async markFailing<T extends AccountState>(
    repo: Repository<T>,
    key: FindOptionsWhere<T>,
    error: AccountError,
  ): Promise<void> {
    const now = new Date();
    const lastError = lastErrorOf(error, now);
    const changed = await repo
      .createQueryBuilder()
      .update()
      .set(
        accountChanges<T>({
          ...lastError,
          status: 'failing',
          version: () => '"version" + 1',
          updatedAt: now,
        }),
      )
      .where({ ...key, status: 'connected' })
      .execute();
    if (!changed.affected) {
      await repo.update(key, accountChanges<T>({ ...lastError, updatedAt: now }));
    }
  }

  private async markWorking<T extends AccountState>(repo: Repository<T>, row: T): Promise<void> {
    if (row.status !== 'failing') return;
    await repo
      .createQueryBuilder()
      .update()
      .set(
        accountChanges<T>({
          ...CLEARED,
          status: 'connected',
          version: () => '"version" + 1',
          updatedAt: new Date(),
        }),
      )
      .where({ id: row.id, status: 'failing' })
      .execute();
  }
}

function oauthProviderOf(row: { oauthProvider: OAuthProviderName | null }): OAuthProviderName {
  return row.oauthProvider ?? 'microsoft';
}

/** An OAuth account whose sign-in was revoked sends nothing until it is connected again. */
function assertSignedIn(
  row: { status: string; oauthProvider: OAuthProviderName | null },
  email: string | null,
): void {
  if (row.status === 'reauthorization_required')
    throw reauthorizationRequired({ provider: oauthProviderOf(row), email: email ?? '' });
}

/** The program's server, logged in as `login`. */
function serverSettings(
  integration: SmtpIntegration,
  program: Pick<Program, 'settings'>,
  login: Pick<SmtpSettings, 'username' | 'password' | 'oauth2'>,
): SmtpSettings {
  return {
    host: integration.host,
    port: integration.port,
    security: integration.security,
    ...login,
    allowInsecure: effectiveSettings(program).allowInsecureSmtp,
  };
}

const CLEARED = { lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null };

function lastErrorOf(error: AccountError, at: Date) {
  return {
    lastErrorCode: error.code.slice(0, 64),
    lastErrorMessage: error.message.slice(0, 2000),
    lastErrorAt: at,
  };
}
