import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { AppLogger } from '../common/logging/logging.module';
import { backoffDelay, RetryPolicy } from './job-options';
import {
  EnqueueOptions,
  isPermanentJobError,
  JobHandler,
  JobQueue,
  QueueCounts,
} from './job-queue.port';
import { JobName, JobPayloads } from './queue.constants';

interface PendingJob {
  id: string;
  name: JobName;
  payload: unknown;
  attemptsMade: number;
  maxAttempts: number;
  /** When it was put in line to run (ms): queued, or its delay ran out. */
  dueAt: number;
}

/**
 * Runs jobs in this process, with the same retry rules as Bull. Jobs live in memory only:
 * the database rows they point at are the truth, and the sweepers re-queue what a restart drops.
 */
export class InProcessJobQueue extends JobQueue {
  readonly kind = 'in-process' as const;
  private readonly handlers = new Map<JobName, JobHandler<unknown>>();
  private readonly waiting: PendingJob[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly ids = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly idle: Array<() => void> = [];
  private active = 0;
  private failed = 0;
  private closed = false;
  // Jobs run in the queue's own async context, as in a worker process, never in the context of
  // whoever queued them or of the job before: a job queued from inside a database transaction
  // must not pass for part of it (SQLite's serialisation tells its transaction's work by context).
  private readonly context = new AsyncResource('in-process-job-queue');

  constructor(
    private readonly policy: RetryPolicy,
    private readonly concurrency: number,
    private readonly logger: AppLogger,
  ) {
    super();
  }

  register<N extends JobName>(name: N, handler: JobHandler<JobPayloads[N]>): void {
    if (this.handlers.has(name))
      throw new Error(`A handler for job "${name}" is already registered`);
    this.handlers.set(name, handler as JobHandler<unknown>);
  }

  registeredNames(): JobName[] {
    return [...this.handlers.keys()];
  }

  async enqueueMany<N extends JobName>(
    name: N,
    jobs: Array<{ payload: JobPayloads[N]; options?: EnqueueOptions }>,
  ): Promise<void> {
    if (this.closed) throw new Error('The job queue is closed');
    // All are added before any runs, so one id given twice in a call runs once, as in Bull.
    for (const { payload, options = {} } of jobs) {
      const id = options.jobId ?? randomUUID();
      if (this.ids.has(id)) continue;
      this.ids.add(id);
      const job: PendingJob = {
        id,
        name,
        payload,
        attemptsMade: 0,
        maxAttempts: options.attempts ?? this.policy.attempts,
        dueAt: Date.now(),
      };
      if (options.delayMs && options.delayMs > 0) this.later(job, options.delayMs);
      else this.waiting.push(job);
    }
    this.pump();
  }

  async schedule(name: JobName, everyMs: number): Promise<void> {
    let running = false;
    const timer = setInterval(() => {
      // One run at a time; a slow sweep is not stacked on itself.
      if (running || this.closed) return;
      running = true;
      void this.runOnce(name).finally(() => (running = false));
    }, everyMs);
    timer.unref();
    this.timers.push(timer);
  }

  async counts(): Promise<QueueCounts> {
    return {
      waiting: this.waiting.length,
      active: this.active,
      delayed: this.delayed.size,
      failed: this.failed,
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('The job queue is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    this.waiting.length = 0;
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private later(job: PendingJob, delayMs: number): void {
    const timer = setTimeout(() => {
      this.delayed.delete(job.id);
      job.dueAt = Date.now();
      this.waiting.push(job);
      this.pump();
    }, delayMs);
    timer.unref();
    this.delayed.set(job.id, timer);
  }

  private pump(): void {
    // Nothing runs before a handler exists: a process that registers none (an API process) only queues.
    if (this.handlers.size === 0) return;
    while (!this.closed && this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.active++;
      void this.context
        .runInAsyncScope(() => this.run(job))
        .finally(() => {
          this.active--;
          if (this.active === 0) this.idle.splice(0).forEach((resolve) => resolve());
          this.pump();
        });
    }
  }

  private async runOnce(name: JobName): Promise<void> {
    const handler = this.handlers.get(name);
    if (!handler) return;
    this.active++;
    try {
      await this.context.runInAsyncScope(() =>
        handler({}, { jobId: `${name}:scheduled`, attempt: 1, maxAttempts: 1 }),
      );
    } catch (err) {
      this.logger.error({ err, job: name }, 'scheduled job failed');
    } finally {
      this.active--;
      if (this.active === 0) this.idle.splice(0).forEach((resolve) => resolve());
    }
  }

  private async run(job: PendingJob): Promise<void> {
    const handler = this.handlers.get(job.name);
    if (job.attemptsMade === 0) this.jobStarted(job.name, job.dueAt);
    job.attemptsMade++;
    try {
      if (!handler) throw new Error(`No handler is registered for job "${job.name}"`);
      await handler(job.payload, {
        jobId: job.id,
        attempt: job.attemptsMade,
        maxAttempts: job.maxAttempts,
      });
      this.ids.delete(job.id);
    } catch (err) {
      const retry = !isPermanentJobError(err) && job.attemptsMade < job.maxAttempts && !this.closed;
      this.logger.warn(
        { err, job: job.name, jobId: job.id, attempt: job.attemptsMade, retry },
        'job failed',
      );
      if (retry) this.later(job, backoffDelay(this.policy.backoffMs, job.attemptsMade));
      else {
        this.failed++;
        this.ids.delete(job.id);
      }
    }
  }
}
