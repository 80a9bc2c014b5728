import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { SenderDomain } from './sender-domain.entity';
import { SenderDomainService } from './sender-domain.service';

/** A program's custom From domain for the built-in sender: DKIM key, DNS records, verification. */
@Module({
  imports: [TypeOrmModule.forFeature([SenderDomain]), SecretsModule, NotificationsModule],
  providers: [SenderDomainService],
  exports: [SenderDomainService],
})
export class SenderDomainsModule {}
