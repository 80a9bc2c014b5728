import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { JobQueue } from '../queue/job-queue.port';
import { DeliveryService } from './delivery.service';
import { OutboxService } from '../messages/outbox.service';

/** Unpacks delivery jobs and hands them to the services; nothing else lives here. */
@Injectable()
export class DeliveryProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly delivery: DeliveryService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('deliver-messages', (p) => this.delivery.deliverMany(p.messageIds));
    // Jobs an earlier version queued, one message each.
    this.queue.register('deliver-message', (p) => this.delivery.deliver(p.messageId));
    this.queue.register('sweep-messages', () => this.outbox.sweepStale());
    await this.queue.schedule('sweep-messages', this.config.SWEEP_INTERVAL_MS);
  }
}
