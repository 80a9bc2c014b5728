import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { IntegrationsService } from '../transports/mail-router';
import { SenderDomainController } from '../sender-domains/sender-domain.controller';
import { SenderDomain } from '../sender-domains/sender-domain.entity';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { SenderIdentitiesController } from './sender-identities.controller';
import { SenderIdentitiesService } from './sender-identities.service';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { SmtpConnector } from './smtp-connector';
import { SmtpIntegrationController } from './smtp-integration.controller';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { SmtpIntegrationService } from './smtp-integration.service';

/** The program's own SMTP server, its sender identities, and the built-in sender's custom From domain. */
@Module({
  imports: [TypeOrmModule.forFeature([SmtpIntegration, SenderIdentity, SenderDomain])],
  controllers: [SmtpIntegrationController, SenderIdentitiesController, SenderDomainController],
  providers: [
    IntegrationSecrets,
    SmtpConnector,
    SmtpIntegrationService,
    SenderIdentitiesService,
    SenderDomainService,
    IntegrationsService,
  ],
  exports: [IntegrationsService],
})
export class IntegrationsModule {}
