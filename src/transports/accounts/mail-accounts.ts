import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { EntityQueries } from '../../database/entity-queries';
import { effectiveSettings, type Program } from '../../programs/program.entity';
import { appendToSentFolder } from '../imap/imap-client';
import { defaultImapSettings, type ImapSettings } from '../imap/sent-folder';
import type { SmtpSettings } from '../smtp/smtp-settings';
import { SenderIdentity } from './sender-identity.entity';
import { SmtpIntegration } from './smtp-integration.entity';

/** Why an account stopped working, as shown on it. */
export interface AccountError {
  code: string;
  message: string;
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

  /** Connection settings of the integration, with its stored password opened. */
  integrationSettings(
    integration: SmtpIntegration,
    program: Pick<Program, 'settings'>,
  ): SmtpSettings {
    return {
      host: integration.host,
      port: integration.port,
      security: integration.security,
      username: integration.username ?? undefined,
      password: integration.passwordSealed
        ? this.secrets.open(integration.programId, integration.passwordSealed)
        : undefined,
      allowInsecure: effectiveSettings(program).allowInsecureSmtp,
    };
  }

  /** The program's server with a sender identity's own login. */
  senderSettings(
    identity: SenderIdentity,
    integration: SmtpIntegration,
    program: Pick<Program, 'settings'>,
  ): SmtpSettings {
    return {
      host: integration.host,
      port: integration.port,
      security: integration.security,
      username: identity.email,
      password: this.secrets.open(identity.programId, identity.passwordSealed),
      allowInsecure: effectiveSettings(program).allowInsecureSmtp,
    };
  }

  /** The identity's IMAP server, or one guessed from the SMTP host. */
  imapSettings(identity: SenderIdentity, integration: Pick<SmtpIntegration, 'host'>): ImapSettings {
    if (identity.imapHost && identity.imapPort && identity.imapSecurity) {
      return { host: identity.imapHost, port: identity.imapPort, security: identity.imapSecurity };
    }
    return defaultImapSettings(integration.host);
  }

  /** Files the exact bytes of a sent message in the identity's Sent folder; throws an ImapError. */
  appendToSent(
    identity: SenderIdentity,
    integration: SmtpIntegration,
    allowInsecure: boolean,
    raw: Buffer,
  ): Promise<{ mailbox: string }> {
    return appendToSentFolder(
      this.imapSettings(identity, integration),
      {
        user: identity.email,
        pass: this.secrets.open(identity.programId, identity.passwordSealed),
      },
      raw,
      {
        allowPrivateHosts: this.allowPrivateHosts,
        allowInsecure,
        sentFolder: identity.sentFolder,
      },
    );
  }

  /** Marks the integration failing with why; the version changes only when the status does. */
  async integrationFailed(
    programId: string,
    integrationId: string,
    error: AccountError,
  ): Promise<void> {
    const now = new Date();
    const lastError = lastErrorOf(error, now);
    const changed = await this.integrations
      .createQueryBuilder()
      .update(SmtpIntegration)
      .set({ ...lastError, status: 'failing', version: () => '"version" + 1', updatedAt: now })
      .where('id = :id AND "programId" = :programId AND status = :status', {
        id: integrationId,
        programId,
        status: 'connected',
      })
      .execute();
    if (!changed.affected) {
      await this.integrations.update(
        { id: integrationId, programId },
        { ...lastError, updatedAt: now },
      );
    }
    this.logger.warn({ programId, integrationId, code: error.code }, 'smtp integration failing');
  }

  /** A send that worked through a failing integration shows it works again. */
  async integrationWorks(integration: SmtpIntegration): Promise<void> {
    if (integration.status !== 'failing') return;
    await this.integrations
      .createQueryBuilder()
      .update(SmtpIntegration)
      .set({
        ...CLEARED,
        status: 'connected',
        version: () => '"version" + 1',
        updatedAt: new Date(),
      })
      .where('id = :id AND status = :status', { id: integration.id, status: 'failing' })
      .execute();
  }

  async senderFailed(programId: string, senderId: string, error: AccountError): Promise<void> {
    const now = new Date();
    const lastError = lastErrorOf(error, now);
    const changed = await this.identities
      .createQueryBuilder()
      .update(SenderIdentity)
      .set({ ...lastError, status: 'failing', version: () => '"version" + 1', updatedAt: now })
      .where('"programId" = :programId AND "senderId" = :senderId AND status = :status', {
        programId,
        senderId,
        status: 'connected',
      })
      .execute();
    if (!changed.affected) {
      await this.identities.update({ programId, senderId }, { ...lastError, updatedAt: now });
    }
    this.logger.warn({ programId, senderId, code: error.code }, 'sender identity failing');
  }

  async senderWorks(identity: SenderIdentity): Promise<void> {
    if (identity.status !== 'failing') return;
    await this.identities
      .createQueryBuilder()
      .update(SenderIdentity)
      .set({
        ...CLEARED,
        status: 'connected',
        version: () => '"version" + 1',
        updatedAt: new Date(),
      })
      .where('id = :id AND status = :status', { id: identity.id, status: 'failing' })
      .execute();
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
}

const CLEARED = { lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null };

function lastErrorOf(error: AccountError, at: Date) {
  return {
    lastErrorCode: error.code.slice(0, 64),
    lastErrorMessage: error.message.slice(0, 2000),
    lastErrorAt: at,
  };
}
