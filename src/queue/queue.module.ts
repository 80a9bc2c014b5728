import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Bull from 'bull';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { BullJobQueue } from './bull-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { retryPolicy } from './job-options';
import { JobQueue } from './job-queue.port';
import { QUEUE_NAME } from './queue.constants';

/** Bull on Redis when REDIS_URL is set, else the in-process runner: the one port either way. */
export function createJobQueue(config: AppConfig, logger: AppLogger): JobQueue {
  const policy = retryPolicy(config);
  if (!config.REDIS_URL) return new InProcessJobQueue(policy, config.WORKER_CONCURRENCY, logger);
  const bull = new Bull(QUEUE_NAME, config.REDIS_URL, { prefix: config.QUEUE_PREFIX });
  return new BullJobQueue(bull, policy, config.WORKER_CONCURRENCY, logger);
}

/**
 * The job queue. Any process may queue; only a worker process (the worker module) registers
 * handlers, so an API process never runs a job.
 */
@Module({
  providers: [{ provide: JobQueue, inject: [AppConfig, LOGGER], useFactory: createJobQueue }],
  exports: [JobQueue],
})
export class QueueModule implements OnApplicationShutdown {
  constructor(@Inject(JobQueue) private readonly queue: JobQueue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
