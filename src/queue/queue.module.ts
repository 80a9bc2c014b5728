import { BullModule, getQueueToken } from '@nestjs/bull';
import {
  DynamicModule,
  Global,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app.config';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { BullJobQueue } from './bull-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { retryPolicy } from './job-options';
import { JobQueue } from './job-queue.port';
import { JOB_NAMES, QUEUE_NAME } from './queue.constants';

const processes = (config: AppConfig) => config.APP_ROLE !== 'api';

@Global()
@Module({})
export class QueueModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    if (!config.REDIS_URL) {
      return {
        module: QueueModule,
        providers: [
          {
            provide: JobQueue,
            inject: [AppConfig, LOGGER],
            useFactory: (c: AppConfig, logger: AppLogger) =>
              new InProcessJobQueue(retryPolicy(c), c.WORKER_CONCURRENCY, processes(c), logger),
          },
        ],
        exports: [JobQueue],
      };
    }
    return {
      module: QueueModule,
      imports: [
        BullModule.forRoot({ url: config.REDIS_URL, prefix: config.QUEUE_PREFIX }),
        BullModule.registerQueue({ name: QUEUE_NAME }),
      ],
      providers: [
        {
          provide: JobQueue,
          inject: [getQueueToken(QUEUE_NAME), AppConfig, LOGGER],
          useFactory: (queue: Queue, c: AppConfig, logger: AppLogger) =>
            new BullJobQueue(queue, retryPolicy(c), c.WORKER_CONCURRENCY, processes(c), logger),
        },
      ],
      exports: [JobQueue],
    };
  }

  // Every job must have exactly one handler in a process that runs jobs; a missing one is a
  // wiring mistake that would otherwise only show as jobs that never finish.
  onApplicationBootstrap(): void {
    if (!processes(this.config)) return;
    const missing = JOB_NAMES.filter((n) => !this.queue.registeredNames().includes(n));
    if (missing.length > 0) {
      throw new Error(`No handler is registered for job(s): ${missing.join(', ')}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
