import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { InboundMailboxModule } from '../inbound/mailbox/inbound-mailbox.module';
import { Message } from '../messages/message.entity';
import { MessagesModule } from '../messages/messages.module';
import { ProgramsModule } from '../programs/programs.module';
import { OAuthModule } from '../transports/oauth/oauth.module';
import { OAuthAccounts } from './oauth/oauth-accounts.service';
import { OAuthFlow } from './oauth/oauth-flow.service';
import { OAuthState } from './oauth/oauth-state.entity';
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
    TypeOrmModule.forFeature([SmtpIntegration, SenderIdentity, OAuthState, Message]),
    SecretsModule,
    TransportsModule,
    OAuthModule,
    InboundMailboxModule,
    MessagesModule,
    ProgramsModule,
  ],
  providers: [
    SmtpConnector,
    SmtpIntegrationService,
    SenderIdentitiesService,
    OAuthAccounts,
    OAuthFlow,
  ],
  exports: [SmtpIntegrationService, SenderIdentitiesService, OAuthFlow, OAuthModule],
})
export class IntegrationsModule {}
