import { JobName, JobPayloads } from './queue.constants';

export interface JobContext {
  jobId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<unknown>;

/** What the queue is told about one job beside its payload. */
export interface JobOptions {
  /** Deduplicates while a job with this id is waiting or running. */
  jobId?: string;
  /** Runs of the handler before the job is given up; the retry policy's when unset. */
  attempts?: number;
}

/** Options of one enqueued job: what jobOf() gives it (see jobOptions). */
export interface EnqueueOptions extends JobOptions {
  delayMs?: number;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** Thrown by a handler when retrying cannot help; the job stops at once. */
export class PermanentJobError extends Error {
  readonly permanent = true;
}

export function isPermanentJobError(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { permanent?: unknown }).permanent === true;
}

/**
 * The one port every module queues work through. Bull on Redis or an in-process runner sit
 * behind it; handlers are the same code either way.
 */
export abstract class JobQueue {
  abstract readonly kind: 'bull' | 'in-process';
  private readonly startListeners: Array<(name: JobName, waitMs: number) => void> = [];

  /** Told when a worker starts a job's first attempt, with how long it waited since it was due. */
  onJobStart(listener: (name: JobName, waitMs: number) => void): void {
    this.startListeners.push(listener);
  }

  /** For the implementations: a job's first attempt starts; `dueAt` is when it could have (ms). */
  protected jobStarted(name: JobName, dueAt: number): void {
    if (this.startListeners.length === 0) return;
    const waitMs = Math.max(0, Date.now() - dueAt);
    for (const listener of this.startListeners) listener(name, waitMs);
  }

  /** One handler per job name; a process runs at most its concurrency of jobs at once, all names together. */
  abstract register<N extends JobName>(name: N, handler: JobHandler<JobPayloads[N]>): void;
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    return this.enqueueMany(name, [{ payload, options }]);
  }
  /** Several jobs of one name at once: one round trip to Redis instead of one per job. */
  abstract enqueueMany<N extends JobName>(
    name: N,
    jobs: Array<{ payload: JobPayloads[N]; options?: EnqueueOptions }>,
  ): Promise<void>;
  /** Runs `name` every `everyMs`, once across all workers. */
  abstract schedule(name: JobName, everyMs: number): Promise<void>;
  abstract counts(): Promise<QueueCounts>;
  /** Throws when the queue's backing store cannot be reached. */
  abstract ping(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish. */
  abstract close(): Promise<void>;
  abstract registeredNames(): JobName[];
}
