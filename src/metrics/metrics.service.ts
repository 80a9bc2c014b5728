import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { JobQueue } from '../queue/job-queue.port';

/**
 * One registry per app instance (tests boot several in one process). Modules add their own
 * gauges through `gauge`, read at scrape time.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(queue: JobQueue) {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.gauge('queue_jobs', 'Jobs in the queue by state', ['state'], async () => {
      const counts = await queue.counts();
      return Object.entries(counts).map(([state, value]) => ({ labels: { state }, value }));
    });
  }

  gauge(
    name: string,
    help: string,
    labelNames: string[],
    read: () => Promise<Array<{ labels: Record<string, string>; value: number }>>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels, value);
      },
    });
  }
}
