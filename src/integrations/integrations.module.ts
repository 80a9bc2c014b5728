import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IntegrationSecrets } from './integration-secrets';
import { IntegrationsService } from './integrations.service';
import { SenderDomainController } from './sender-domain.controller';
import { SenderDomain } from './sender-domain.entity';
import { SenderDomainService } from './sender-domain.service';
import { SenderIdentitiesController } from './sender-identities.controller';
import { SenderIdentitiesService } from './sender-identities.service';
import { SenderIdentity } from './sender-identity.entity';
import { SmtpConnector } from './smtp-connector';
import { SmtpIntegrationController } from './smtp-integration.controller';
import { SmtpIntegration } from './smtp-integration.entity';
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
