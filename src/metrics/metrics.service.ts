import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DatabaseStatements } from '../database/statement-counter';
import { JobQueue } from '../queue/job-queue.port';

/** What a message became: written (queued or held back at once) or an attempt's outcome. */
export type MessageMetricStatus =
  'queued' | 'sent' | 'retried' | 'waiting' | 'failed' | 'suppressed' | 'unsubscribed';

/** What became of an event: at the API when accepted, at the worker when evaluated. */
export type EventMetricOutcome = 'queued' | 'no_rule' | 'processed' | 'retried' | 'failed';

/**
 * One registry per app instance (tests boot several in one process). Each process counts what
 * it did itself (an API process the events it accepted and the messages its requests wrote, a
 * worker its evaluations and sends): Prometheus adds the processes up, so nothing is counted
 * twice. Counters and histograms are updated in memory, the scrape reads them; the queue gauge
 * and statement count are read at scrape time. Modules add gauges of their own through `gauge`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly messages: Counter<'status' | 'transport'>;
  private readonly messageErrors: Counter<'code' | 'permanent'>;
  private readonly deliveryLatency: Histogram<'transport'>;
  private readonly events: Counter<'outcome'>;
  private readonly rewards: Counter<'kind'>;
  private readonly queueWait: Histogram<'job'>;

  constructor(queue: JobQueue, statements: DatabaseStatements) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.gauge('queue_jobs', 'Jobs in the queue by state', ['state'], async () => {
      const counts = await queue.counts();
      return Object.entries(counts).map(([state, value]) => ({ labels: { state }, value }));
    });
    this.messages = new Counter({
      name: 'messages_total',
      help: 'Emails by what became of them: queued or held back when written, then each delivery attempt (sent, retried, waiting, failed, suppressed), by transport',
      labelNames: ['status', 'transport'],
      registers,
    });
    this.messageErrors = new Counter({
      name: 'message_errors_total',
      help: 'Failed delivery attempts and held-back emails by error code (the codes of the README), and whether the failure was final',
      labelNames: ['code', 'permanent'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'message_delivery_seconds',
      help: 'Time from an email being queued (written) to the receiving server taking it, retries included',
      labelNames: ['transport'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400],
      registers,
    });
    this.events = new Counter({
      name: 'events_total',
      help: 'Events by outcome: queued or no_rule when accepted (API), processed, retried or failed when evaluated (worker)',
      labelNames: ['outcome'],
      registers,
    });
    this.rewards = new Counter({
      name: 'rewards_total',
      help: 'Rewards written, by kind (counted once their transaction committed)',
      labelNames: ['kind'],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'queue_wait_seconds',
      help: 'Time a job waited between being due and a worker starting it (first attempts), by job',
      labelNames: ['job'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    queue.onJobStart((job, waitMs) => this.queueWait.observe({ job }, waitMs / 1000));
    new Counter({
      name: 'db_statements_total',
      help: 'SQL statements this process sent to its database, transaction control included (on Postgres each is a round trip)',
      registers,
      // Counted by the data source's logger; read at scrape time.
      collect() {
        this.reset();
        this.inc(statements.total);
      },
    });
  }

  /** An email was written: queued for delivery, or held back at once (suppressed, unsubscribed). */
  messageWritten(status: 'queued' | MessageHeldBack, code?: string): void {
    this.messages.inc({ status, transport: 'none' });
    if (code) this.messageErrors.inc({ code, permanent: 'true' });
  }

  /** One delivery attempt ended; `queuedAt` is when the email was written (for the latency). */
  messageAttempt(
    status: Exclude<MessageMetricStatus, 'queued'>,
    transport: string | null | undefined,
    code: string | undefined,
    queuedAt: Date,
  ): void {
    const via = transport ?? 'none';
    this.messages.inc({ status, transport: via });
    if (code && status !== 'sent')
      this.messageErrors.inc({
        code,
        permanent: status === 'retried' || status === 'waiting' ? 'false' : 'true',
      });
    if (status === 'sent')
      this.deliveryLatency.observe(
        { transport: via },
        Math.max(0, Date.now() - queuedAt.getTime()) / 1000,
      );
  }

  event(outcome: EventMetricOutcome, count = 1): void {
    this.events.inc({ outcome }, count);
  }

  rewardWritten(kind: string): void {
    this.rewards.inc({ kind });
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

export type MessageHeldBack = 'suppressed' | 'unsubscribed';
