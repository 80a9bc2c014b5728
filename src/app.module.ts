import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiModule } from './api.module';
import { HttpExceptionFilter } from './common/errors/http-exception.filter';
import { LoggingModule } from './common/logging/logging.module';
import { AppConfig } from './config/app.config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PayoutsModule } from './payouts/payouts.module';
import { QueueModule } from './queue/queue.module';
import { TaxModule } from './tax/tax.module';
import { RewardLifecycleModule } from './rewards/lifecycle/reward-lifecycle.module';
import { CodePoolsModule } from './code-pools/code-pools.module';
import { WorkerModule } from './worker.module';

/**
 * One process of the service, by APP_ROLE: `api` serves HTTP and queues jobs, `worker` runs the
 * jobs, `all` (the embedded default) both. Every process has the data, the queue, health and
 * metrics, and the finance checks that run in the transaction of every reward write.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        QueueModule,
        ...(config.APP_ROLE !== 'worker' ? [ApiModule] : []),
        ...(config.APP_ROLE !== 'api' ? [WorkerModule] : []),
        TaxModule,
        PayoutsModule,
        RewardLifecycleModule,
        CodePoolsModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
