import type { Repository } from 'typeorm';
import type { AppConfig } from '../config/app.config';
import type { EnqueueOptions } from '../queue/job-queue.port';
import { JobQueue } from '../queue/job-queue.port';
import type { JobName, JobPayloads } from '../queue/queue.constants';
import type { Message } from './message.entity';
import { OutboxService } from './outbox.service';

// A queue that records what it is handed and answers when told to.
class RecordingQueue extends JobQueue {
  readonly kind = 'in-process' as const;
  readonly calls: Array<{ ids: string[][]; delays: Array<number | undefined> }> = [];
  private releases: Array<() => void> = [];
  hold = false;

  register(): void {}
  enqueueMany<N extends JobName>(
    _name: N,
    jobs: Array<{ payload: JobPayloads[N]; options?: EnqueueOptions }>,
  ): Promise<void> {
    this.calls.push({
      ids: jobs.map((j) => (j.payload as JobPayloads['deliver-messages']).messageIds),
      delays: jobs.map((j) => j.options?.delayMs),
    });
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.releases.push(resolve));
  }
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
  schedule(): Promise<void> {
    return Promise.resolve();
  }
  counts() {
    return Promise.resolve({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  registeredNames(): JobName[] {
    return [];
  }
}

const outboxWith = (queue: JobQueue, batch = 3) =>
  new OutboxService({} as Repository<Message>, queue, {
    DELIVERY_BATCH_SIZE: batch,
    MESSAGE_STALE_MS: 1000,
  } as AppConfig);

describe('OutboxService.dispatch', () => {
  it('queues hand-overs of the same turn together, DELIVERY_BATCH_SIZE messages a job', async () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    await Promise.all([
      outbox.dispatch(['a', 'b']),
      outbox.dispatch(['c', 'd']),
      outbox.dispatch([]),
    ]);
    expect(queue.calls).toEqual([
      { ids: [['a', 'b', 'c'], ['d']], delays: [undefined, undefined] },
    ]);
  });

  it('sends a lone message at once, and gathers what comes while the queue is busy', async () => {
    const queue = new RecordingQueue();
    queue.hold = true;
    const outbox = outboxWith(queue, 50);
    const first = outbox.dispatch(['a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.calls.map((c) => c.ids)).toEqual([[['a']]]);
    const later = [outbox.dispatch(['b']), outbox.dispatch(['c'])];
    await new Promise((resolve) => setImmediate(resolve));
    // Still one call: b and c wait for the first hand-over to finish.
    expect(queue.calls).toHaveLength(1);
    queue.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    queue.release();
    await Promise.all(later);
    expect(queue.calls.map((c) => c.ids)).toEqual([[['a']], [['b', 'c']]]);
  });

  it('queues a delayed retry on its own, with its delay', async () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    await outbox.dispatch(['r'], 1500);
    expect(queue.calls).toEqual([{ ids: [['r']], delays: [1500] }]);
  });

  it('tells each caller when the queue refused its messages', async () => {
    const queue = new RecordingQueue();
    queue.enqueueMany = () => Promise.reject(new Error('Redis is away'));
    const outbox = outboxWith(queue);
    await expect(outbox.dispatch(['x'])).rejects.toThrow('Redis is away');
    // And the next hand-over is tried again, not stuck behind the failed one.
    queue.enqueueMany = () => Promise.resolve();
    await expect(outbox.dispatch(['y'])).resolves.toBeUndefined();
  });
});
