import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app.config';
import { JobQueue } from '../../queue/job-queue.port';
import { RewardSweeper } from './reward-sweeper.service';

/** The periodic sweep of rewards' due times: Bull repeatable with Redis, a timer without. */
@Injectable()
export class RewardSweeperProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly sweeper: RewardSweeper,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('sweep-rewards', () => this.sweeper.sweepDue());
    await this.queue.schedule('sweep-rewards', this.config.SWEEP_INTERVAL_MS);
  }
}
