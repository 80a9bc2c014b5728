import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app.config';
import { SmtpTransportPool } from './transport-pool';

/** The one pool of SMTP transports, shared by delivery and the integration settings. */
@Global()
@Module({
  providers: [
    {
      provide: SmtpTransportPool,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new SmtpTransportPool({
          allowPrivateHosts: config.SMTP_ALLOW_PRIVATE_HOSTS,
          clientName: new URL(config.PUBLIC_BASE_URL).hostname,
        }),
    },
  ],
  exports: [SmtpTransportPool],
})
export class SmtpPoolModule implements OnApplicationShutdown {
  constructor(@Inject(SmtpTransportPool) private readonly pool: SmtpTransportPool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.closeAll();
  }
}
