import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { JobQueue } from '../queue/job-queue.port';
import { InboundService } from './inbound.service';

/** The `process-inbound` and `sweep-inbound` jobs: unpack and hand to the service. */
@Injectable()
export class InboundProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly inbound: InboundService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('process-inbound', (p) => this.inbound.process(p.inboundId));
    this.queue.register('sweep-inbound', () => this.inbound.sweep());
    await this.queue.schedule('sweep-inbound', this.config.SWEEP_INTERVAL_MS);
  }
}
