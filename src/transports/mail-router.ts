import { Injectable } from '@nestjs/common';
import { SingleFlight } from '../common/async/single-flight';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import type { MailRoute } from './mail-route';
import { ProgramsService } from '../programs/programs.service';
import { savesToSent } from './imap/sent-folder';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { SenderIdentitiesService } from '../integrations/sender-identities.service';
import { SmtpIntegrationService, type IntegrationError } from '../integrations/smtp-integration.service';
import { integrationTransportKey, senderTransportKey } from './accounts/transport-keys';

/**
 * What delivery asks of the integrations: where a program's message goes, that a route stopped
 * working, and a copy of a sent message filed in the sender's Sent folder.
 */
@Injectable()
export class IntegrationsService {
  // Concurrent deliveries of one program share the reads (and the decryption) of its route.
  private readonly routes = new SingleFlight<MailRoute>();

  constructor(
    private readonly programs: ProgramsService,
    private readonly smtp: SmtpIntegrationService,
    private readonly senders: SenderIdentitiesService,
    private readonly domains: SenderDomainService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The program's SMTP server when one is connected (with the sender identity's login and From
   * when `senderId` names one, else the integration's); otherwise the built-in sender, From the
   * verified custom domain and signed with its key, or From BUILTIN_FROM_ADDRESS. A failing
   * integration still routes to its server: the failure shows on each message rather than
   * mail silently leaving from another address.
   */
  routeFor(programId: string, senderId?: string | null): Promise<MailRoute> {
    return this.routes.run(`${programId}\n${senderId ?? ''}`, () =>
      this.readRoute(programId, senderId),
    );
  }

  private async readRoute(programId: string, senderId?: string | null): Promise<MailRoute> {
    const program = await this.programs.findById(programId);
    if (!program) throw AppError.notFound('Program', programId);
    const replyTo = program.replyTo;

    const integration = await this.smtp.find(programId);
    if (integration) {
      const identity = senderId ? await this.senders.find(programId, senderId) : null;
      if (identity) {
        return {
          kind: 'smtp',
          transportKey: senderTransportKey(integration.id, identity.senderId),
          version: `${integration.version}.${identity.version}`,
          settings: this.senders.settingsOf(identity, integration, program),
          from: {
            address: identity.email,
            name: identity.fromName ?? integration.fromName ?? program.fromName,
          },
          replyTo,
          integrationId: integration.id,
          senderId: identity.senderId,
          saveToSent: savesToSent(identity.saveToSent, integration.host),
        };
      }
      return {
        kind: 'smtp',
        transportKey: integrationTransportKey(integration.id),
        version: String(integration.version),
        settings: this.smtp.settingsOf(integration, program),
        from: { address: integration.fromAddress, name: integration.fromName ?? program.fromName },
        replyTo,
        integrationId: integration.id,
        senderId: null,
        saveToSent: false,
      };
    }

    const domain = await this.domains.find(programId);
    const dkim = domain ? this.domains.signingKeyOf(domain) : undefined;
    if (domain && dkim) {
      return {
        kind: 'builtin',
        from: { address: domain.fromAddress, name: domain.fromName ?? program.fromName },
        replyTo,
        dkim,
      };
    }
    return {
      kind: 'builtin',
      from: { address: this.config.BUILTIN_FROM_ADDRESS, name: program.fromName },
      replyTo,
    };
  }

  /**
   * Records that a route stopped working (an authentication failure, a refused From): on the
   * sender identity when its login was used, else on the integration. A route of an integration
   * that has since been replaced changes nothing.
   */
  async markFailing(
    programId: string,
    integrationId: string,
    senderId: string | null | undefined,
    error: IntegrationError,
  ): Promise<void> {
    const integration = await this.smtp.find(programId);
    if (!integration || integration.id !== integrationId) return;
    if (senderId) {
      // The sender's own login failed; if the sender is gone since, there is nothing left to mark.
      if (await this.senders.find(programId, senderId))
        await this.senders.recordFailure(programId, senderId, error);
      return;
    }
    await this.smtp.recordFailure(programId, integrationId, error);
  }

  /**
   * Files the exact bytes of a message sent on `route` in the sender's Sent folder over IMAP.
   * Does nothing for routes that keep no copy; throws an ImapError (code IMAP_*) when filing fails.
   */
  async appendToSent(route: MailRoute, raw: Buffer): Promise<void> {
    if (route.kind !== 'smtp' || !route.saveToSent || !route.senderId) return;
    const integration = await this.smtp.findById(route.integrationId);
    if (!integration) return;
    const identity = await this.senders.find(integration.programId, route.senderId);
    if (!identity) return;
    const program = await this.programs.findById(integration.programId);
    if (!program) return;
    await this.senders.appendToSent(identity, integration, program, raw);
  }
}
