import { Injectable } from '@nestjs/common';
import { SingleFlight } from '../common/async/single-flight';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import { ProgramsService } from '../programs/programs.service';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { MailAccounts } from './accounts/mail-accounts';
import { integrationTransportKey, senderTransportKey } from './accounts/transport-keys';
import { savesToSent } from './imap/sent-folder';
import type { MailRoute } from './mail-route';
import { integrationLimits, senderLimits } from '../send-limits/account-limits';
import type { EffectiveSendLimits } from '../send-limits/send-limits';

const limitsOf = ({ perMinute, perDay }: EffectiveSendLimits) => ({ perMinute, perDay });

/** A verified custom domain that failed its checks past the grace period: mail for it waits for a fix. */
export class SenderDomainUnverifiedError extends Error {
  readonly code = 'SENDER_DOMAIN_UNVERIFIED';
  readonly permanent = true;
}

function senderDomainUnverified(domain: string): SenderDomainUnverifiedError {
  return new SenderDomainUnverifiedError(
    `${domain} no longer passes its DNS check and its grace period is over, so nothing is sent from it (and nothing from another address instead). Fix its records, check it again with POST /v1/integrations/sender-domain/verify, then retry this message.`,
  );
}

/** Decides where a program's message goes. */
@Injectable()
export class MailRouter {
  // Concurrent deliveries of one program share the reads (and the decryption) of its route.
  private readonly routes = new SingleFlight<MailRoute>();

  constructor(
    private readonly programs: ProgramsService,
    private readonly accounts: MailAccounts,
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
  routeFor(
    programId: string,
    senderId?: string | null,
    via: 'program' | 'platform' = 'program',
  ): Promise<MailRoute> {
    return this.routes.run(`${programId}\n${senderId ?? ''}\n${via}`, () =>
      this.readRoute(programId, senderId, via),
    );
  }

  private async readRoute(
    programId: string,
    senderId: string | null | undefined,
    via: 'program' | 'platform',
  ): Promise<MailRoute> {
    const program = await this.programs.findById(programId);
    if (!program) throw AppError.notFound('Program', programId);
    // What the service tells the program itself comes from the platform, whatever the program set up.
    if (via === 'platform') {
      return { kind: 'builtin', from: { address: this.config.BUILTIN_FROM_ADDRESS, name: null } };
    }
    const replyTo = program.replyTo;

    const integration = await this.accounts.findIntegration(programId);
    if (integration) {
      const identity = senderId ? await this.accounts.findSender(programId, senderId) : null;
      if (identity) {
        return {
          kind: 'smtp',
          transportKey: senderTransportKey(integration.id, identity.senderId),
          version: `${integration.version}.${identity.version}`,
          settings: this.accounts.senderSettings(identity, integration, program),
          from: {
            address: identity.email,
            name: identity.fromName ?? integration.fromName ?? program.fromName,
          },
          replyTo,
          integrationId: integration.id,
          senderId: identity.senderId,
          saveToSent: savesToSent(identity.saveToSent, integration.host),
          limits: limitsOf(senderLimits(identity, integration)),
        };
      }
      return {
        kind: 'smtp',
        transportKey: integrationTransportKey(integration.id),
        version: String(integration.version),
        settings: this.accounts.integrationSettings(integration, program),
        from: { address: integration.fromAddress, name: integration.fromName ?? program.fromName },
        replyTo,
        integrationId: integration.id,
        senderId: null,
        saveToSent: false,
        limits: limitsOf(integrationLimits(integration)),
      };
    }

    const domain = await this.domains.find(programId);
    const dkim = domain ? this.domains.signingKeyOf(domain) : undefined;
    // A domain the program sent from, past its grace period: nothing goes out from another address.
    if (domain && !dkim && domain.failingSince) throw senderDomainUnverified(domain.domain);
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
}
