import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** Redis counters when REDIS_URL is set (every API process shares them); none means in memory. */
@Injectable()
export class RateLimitStorage implements OnApplicationShutdown {
  readonly redis?: RedisThrottlerStorage;

  constructor(config: AppConfig, @Inject(LOGGER) logger: AppLogger) {
    if (config.REDIS_URL) {
      // One retry, so a request does not hang on a Redis that is away.
      const client = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
      client.on('error', (err) => logger.debug({ err }, 'rate limit redis connection error'));
      this.redis = new RedisThrottlerStorage(client, config.QUEUE_PREFIX, logger);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
export class RateLimitStorageModule {}
