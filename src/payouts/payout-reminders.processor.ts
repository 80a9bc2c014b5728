import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { JobQueue } from '../queue/job-queue.port';
import { PayoutRemindersService } from './payout-reminders.service';

/** The periodic sweep of due payout reminders: Bull repeatable with Redis, a timer without. */
@Injectable()
export class PayoutRemindersProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly reminders: PayoutRemindersService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('sweep-payout-reminders', () => this.reminders.sweepDue());
    await this.queue.schedule('sweep-payout-reminders', this.config.SWEEP_INTERVAL_MS);
  }
}
