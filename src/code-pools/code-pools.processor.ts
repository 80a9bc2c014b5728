import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { JobQueue } from '../queue/job-queue.port';
import { CodePoolsService } from './code-pools.service';

/** The periodic sweep of rewards waiting for codes: Bull repeatable with Redis, a timer without. */
@Injectable()
export class CodePoolsProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly pools: CodePoolsService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('sweep-code-pools', () => this.pools.sweepWaiting());
    await this.queue.schedule('sweep-code-pools', this.config.SWEEP_INTERVAL_MS);
  }
}
