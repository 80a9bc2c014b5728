import type { Job, JobOptions as BullOptions, Queue } from 'bull';
import { AppLogger } from '../common/logging/logging.module';
import { RetryPolicy } from './job-options';
import {
  EnqueueOptions,
  isPermanentJobError,
  JobHandler,
  JobQueue,
  QueueCounts,
} from './job-queue.port';
import { JobName, JobPayloads } from './queue.constants';

/** Bull on Redis: jobs survive this process and spread over every worker process. */
export class BullJobQueue extends JobQueue {
  readonly kind = 'bull' as const;
  private readonly handlers = new Map<JobName, JobHandler<unknown>>();
  private readonly schedules = new Map<JobName, number>();
  private closing = false;

  constructor(
    private readonly queue: Queue,
    private readonly policy: RetryPolicy,
    private readonly concurrency: number,
    private readonly logger: AppLogger,
  ) {
    super();
    // Bull's process() names its blocking connection and drops that promise; an app closed
    // before Redis answered would leave an unhandled rejection behind.
    const setWorkerName = queue.setWorkerName.bind(queue) as () => Promise<unknown>;
    queue.setWorkerName = () => {
      const naming = setWorkerName();
      naming.catch((err: unknown) => {
        if (!this.closing) this.logger.warn({ err }, 'could not name the Redis worker connection');
      });
      return naming;
    };
  }

  register<N extends JobName>(name: N, handler: JobHandler<JobPayloads[N]>): void {
    if (this.handlers.has(name))
      throw new Error(`A handler for job "${name}" is already registered`);
    this.handlers.set(name, handler as JobHandler<unknown>);
    if (this.handlers.size === 1) this.work();
  }

  /**
   * One worker loop for every job name. Bull runs `concurrency` jobs per process() call, so a
   * call per name would run that many of each name at once; one call for '*' makes
   * WORKER_CONCURRENCY the limit of the whole process, as with the in-process queue.
   */
  private work(): void {
    // The promise of process() settles only when the worker loop stops; a close ends it on purpose.
    const loop = this.queue.process('*', this.concurrency, (job: Job) => this.run(job));
    loop.catch((err: unknown) => {
      if (!this.closing) this.logger.error({ err }, 'job worker loop stopped');
    });
  }

  private async run(job: Job): Promise<unknown> {
    const name = job.name as JobName;
    const handler = this.handlers.get(name);
    const maxAttempts = job.opts.attempts ?? 1;
    // Due when added, or once its delay ran out; a retry's wait is its backoff, not queueing.
    if (job.attemptsMade === 0) this.jobStarted(name, job.timestamp + (job.opts.delay ?? 0));
    try {
      // Only while a worker is still registering its handlers; the job is retried.
      if (!handler) throw new Error(`No handler is registered for job "${name}" in this process`);
      return await handler(job.data, {
        jobId: String(job.id),
        attempt: job.attemptsMade + 1,
        maxAttempts,
      });
    } catch (err) {
      // Bull retries unless the job is discarded; a permanent error must stop here.
      if (isPermanentJobError(err)) await job.discard();
      this.logger.warn(
        { err, job: name, jobId: job.id, attempt: job.attemptsMade + 1 },
        'job failed',
      );
      throw err;
    }
  }

  registeredNames(): JobName[] {
    return [...this.handlers.keys()];
  }

  // One job goes through add(), which rejects when Redis refuses it; addBulk() ignores that.
  override async enqueue<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    await this.queue.add(name, payload, this.bullOptions(options));
  }

  async enqueueMany<N extends JobName>(
    name: N,
    jobs: Array<{ payload: JobPayloads[N]; options?: EnqueueOptions }>,
  ): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map((job) => ({ name, data: job.payload, opts: this.bullOptions(job.options) })),
    );
  }

  private bullOptions(options: EnqueueOptions = {}): BullOptions {
    return {
      jobId: options.jobId,
      delay: options.delayMs,
      attempts: options.attempts ?? this.policy.attempts,
      backoff: { type: 'exponential', delay: this.policy.backoffMs },
      removeOnComplete: true,
      removeOnFail: 1000,
    };
  }

  async schedule(name: JobName, everyMs: number): Promise<void> {
    // Drop repeat entries of this job left by an earlier interval, then add the current one.
    for (const r of await this.queue.getRepeatableJobs()) {
      if (r.name === name && Number(r.every) !== everyMs)
        await this.queue.removeRepeatableByKey(r.key);
    }
    if (this.schedules.size === 0) {
      // A Redis that restarted without its data lost the repeat entries with the jobs: without
      // adding them again on reconnect, the sweeps that recover lost jobs would stop for good.
      this.queue.client.on('ready', () => void this.reschedule());
    }
    this.schedules.set(name, everyMs);
    await this.addRepeat(name, everyMs);
  }

  private addRepeat(name: JobName, everyMs: number): Promise<unknown> {
    return this.queue.add(
      name,
      {},
      {
        repeat: { every: everyMs },
        jobId: `repeat:${name}`,
        removeOnComplete: true,
        removeOnFail: 100,
        attempts: 1,
      },
    );
  }

  private async reschedule(): Promise<void> {
    for (const [name, everyMs] of this.schedules) {
      try {
        await this.addRepeat(name, everyMs);
      } catch (err) {
        if (!this.closing)
          this.logger.warn(
            { err, job: name },
            'could not schedule a job again after Redis reconnected',
          );
      }
    }
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts();
    return { waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
  }

  async ping(): Promise<void> {
    const client = this.queue.client;
    const answer = await Promise.race([
      client.ping(),
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('Redis did not answer within 2 s')), 2000).unref(),
      ),
    ]);
    if (answer !== 'PONG') throw new Error(`Redis answered ${answer}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Closing while the connections are still being set up leaves a rejected promise behind.
    await this.queue.isReady().catch(() => undefined);
    await this.queue.close();
  }
}
