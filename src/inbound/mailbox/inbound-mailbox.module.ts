import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../../common/crypto/secrets.module';
import { OAuthModule } from '../../transports/oauth/oauth.module';
import { InboundMailbox } from './inbound-mailbox.entity';
import { InboundMailboxService } from './inbound-mailbox.service';
import { MailboxStore } from './mailbox-store';

/**
 * Programs' own mailboxes for what comes back: their settings (the API) and their rows as the
 * worker role reads them. The reader itself (MailboxReader) is a provider of the worker role.
 */
@Module({
  imports: [TypeOrmModule.forFeature([InboundMailbox]), SecretsModule, OAuthModule],
  providers: [InboundMailboxService, MailboxStore],
  exports: [InboundMailboxService, MailboxStore],
})
export class InboundMailboxModule {}
