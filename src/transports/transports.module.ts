import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { AppConfig, ehloName } from '../config/app.config';
import { ProgramsModule } from '../programs/programs.module';
import { SenderDomainsModule } from '../sender-domains/sender-domains.module';
import { MailAccounts } from './accounts/mail-accounts';
import { SenderIdentity } from './accounts/sender-identity.entity';
import { SmtpIntegration } from './accounts/smtp-integration.entity';
import { EmlWriter } from './drivers/eml-writer';
import { OAuthModule } from './oauth/oauth.module';
import { MailRouter } from './mail-router';
import { MailTransports } from './mail-transports';
import { SmtpTransportPool } from './smtp/transport-pool';

/**
 * How mail leaves the service: the route of each message, its drivers, the pooled SMTP
 * connections and the stored accounts they log in with.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([SmtpIntegration, SenderIdentity]),
    SecretsModule,
    ProgramsModule,
    SenderDomainsModule,
    OAuthModule,
  ],
  providers: [
    {
      provide: SmtpTransportPool,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new SmtpTransportPool({
          allowPrivateHosts: config.SMTP_ALLOW_PRIVATE_HOSTS,
          clientName: ehloName(config),
        }),
    },
    {
      provide: EmlWriter,
      inject: [AppConfig],
      useFactory: (c: AppConfig) => new EmlWriter(c.DATA_DIR),
    },
    MailAccounts,
    MailRouter,
    MailTransports,
  ],
  exports: [MailTransports, MailAccounts, SmtpTransportPool, EmlWriter],
})
export class TransportsModule implements OnApplicationShutdown {
  constructor(@Inject(SmtpTransportPool) private readonly pool: SmtpTransportPool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.closeAll();
  }
}
