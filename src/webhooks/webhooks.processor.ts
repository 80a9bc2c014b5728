import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { JobQueue } from '../queue/job-queue.port';
import { WebhookDeliveries } from './webhook-deliveries.service';

/** Unpacks webhook jobs and hands them to the delivery service. */
@Injectable()
export class WebhooksProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly deliveries: WebhookDeliveries,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('deliver-webhook', (p) => this.deliveries.deliver(p.deliveryId));
    this.queue.register('sweep-webhooks', () => this.deliveries.sweep());
    await this.queue.schedule('sweep-webhooks', this.config.SWEEP_INTERVAL_MS);
  }
}
