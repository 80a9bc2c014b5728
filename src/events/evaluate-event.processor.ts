import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue.port';
import { AppConfig } from '../config/app.config';
import { EventEvaluationService } from './event-evaluation.service';
import { EventsService } from './events.service';

/** The `evaluate-event`, `evaluate-events` and `sweep-events` jobs: unpack the payload and hand it to the services. */
@Injectable()
export class EvaluateEventProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly evaluation: EventEvaluationService,
    private readonly events: EventsService,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.queue.register('evaluate-event', (payload, ctx) =>
      this.evaluation.evaluate(payload.eventId, ctx),
    );
    this.queue.register('evaluate-events', (payload) =>
      this.evaluation.evaluateMany(payload.eventIds),
    );
    this.queue.register('sweep-events', () => this.events.sweepStale());
    await this.queue.schedule('sweep-events', this.config.SWEEP_INTERVAL_MS);
  }
}
