import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue.port';
import { EventEvaluationService } from './event-evaluation.service';

/** The `evaluate-event` job: unpacks the payload and hands it to the evaluation. */
@Injectable()
export class EvaluateEventProcessor implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly evaluation: EventEvaluationService,
  ) {}

  onModuleInit(): void {
    this.queue.register('evaluate-event', (payload, ctx) => this.evaluation.evaluate(payload.eventId, ctx));
  }
}
