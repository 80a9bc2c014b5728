import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { TransportsModule } from '../transports/transports.module';
import { SenderIdentitiesService } from './sender-identities.service';
import { SmtpConnector } from './smtp-connector';
import { SmtpIntegrationService } from './smtp-integration.service';

/**
 * A program's connection settings: its own SMTP server and sender identities, each verified
 * against the real server before it is saved, and their test emails.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([SmtpIntegration, SenderIdentity]),
    SecretsModule,
    TransportsModule,
  ],
  providers: [SmtpConnector, SmtpIntegrationService, SenderIdentitiesService],
  exports: [SmtpIntegrationService, SenderIdentitiesService],
})
export class IntegrationsModule {}
