import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import type { Repository } from 'typeorm';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { RedisSendLimitStore } from './redis-send-limit.store';
import { DatabaseSendLimitStore, SendLimitStore } from './send-limit.store';
import { SendLimitStateRow } from './send-limit-state.entity';
import { SendLimiter } from './send-limiter';

/** Redis when REDIS_URL is set (every process counts there), else the database. */
function createStore(
  config: AppConfig,
  rows: Repository<SendLimitStateRow>,
  logger: AppLogger,
): SendLimitStore {
  if (!config.REDIS_URL) return new DatabaseSendLimitStore(rows);
  // One retry: a delivery that cannot count its send is retried as a whole, later.
  const client = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', (err) => logger.debug({ err }, 'send limit redis connection error'));
  return new RedisSendLimitStore(client, config.QUEUE_PREFIX);
}

/** The sending limits of SMTP accounts, counted across every process. */
@Module({
  imports: [TypeOrmModule.forFeature([SendLimitStateRow])],
  providers: [
    {
      provide: SendLimitStore,
      inject: [AppConfig, getRepositoryToken(SendLimitStateRow), LOGGER],
      useFactory: createStore,
    },
    SendLimiter,
  ],
  exports: [SendLimiter],
})
export class SendLimitsModule implements OnApplicationShutdown {
  constructor(@Inject(SendLimitStore) private readonly store: SendLimitStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
