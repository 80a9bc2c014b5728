import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app.config';
import { publicRateLimitOptions } from './public-rate-limit';
import { RateLimitStorage, RateLimitStorageModule } from './rate-limit-storage.module';

/** The limits of the public routes, counted in Redis when there is one (see publicRateLimitOptions). */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage) =>
        publicRateLimitOptions(config, storage.redis),
    }),
  ],
})
export class PublicRateLimitModule {}
