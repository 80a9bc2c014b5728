import Bull from 'bull';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { BullJobQueue } from '../src/queue/bull-job-queue';
import { InProcessJobQueue } from '../src/queue/in-process-job-queue';
import { JobQueue, PermanentJobError } from '../src/queue/job-queue.port';
import { eventually } from './support/test-app';

const logger = pino({ level: 'silent' });
const policy = { attempts: 3, backoffMs: 40 };

type Factory = () => { queue: JobQueue; cleanup: () => Promise<void> };

const adapters: Array<[string, Factory]> = [
  [
    'in-process',
    () => ({
      queue: new InProcessJobQueue(policy, 4, logger),
      cleanup: async () => undefined,
    }),
  ],
];
if (process.env.TEST_REDIS_URL) {
  adapters.push([
    'bull',
    () => {
      const prefix = `rnq${randomBytes(4).toString('hex')}`;
      const bull = new Bull('jobs', process.env.TEST_REDIS_URL!, { prefix });
      return {
        queue: new BullJobQueue(bull, policy, 4, logger),
        // Runs after the adapter closed: a fresh connection removes what the test left in Redis.
        cleanup: async () => {
          const leftover = new Bull('jobs', process.env.TEST_REDIS_URL!, { prefix });
          await leftover.obliterate({ force: true });
          await leftover.close();
        },
      };
    },
  ]);
}

describe.each(adapters)('JobQueue on %s', (_name, factory) => {
  let queue: JobQueue;
  let cleanup: () => Promise<void>;

  beforeEach(() => ({ queue, cleanup } = factory()));
  afterEach(async () => {
    await queue.close();
    await cleanup();
  });

  it('runs an enqueued job with its payload', async () => {
    const seen: string[] = [];
    queue.register('evaluate-event', async (p) => void seen.push(p.eventId));
    await queue.enqueue('evaluate-event', { eventId: 'e1' });
    await eventually(async () => seen.length === 1);
    expect(seen).toEqual(['e1']);
  });

  it('retries a failing job with growing delays and gives up after the configured attempts', async () => {
    const attempts: Array<{ attempt: number; at: number }> = [];
    queue.register('deliver-message', async (_p, ctx) => {
      attempts.push({ attempt: ctx.attempt, at: Date.now() });
      expect(ctx.maxAttempts).toBe(3);
      throw new Error('transient');
    });
    await queue.enqueue('deliver-message', { messageId: 'm1' });
    await eventually(async () => (await queue.counts()).failed === 1, 10000);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gap1 = attempts[1].at - attempts[0].at;
    const gap2 = attempts[2].at - attempts[1].at;
    expect(gap1).toBeGreaterThanOrEqual(35);
    expect(gap2).toBeGreaterThanOrEqual(75);
    // Nothing runs after giving up.
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toHaveLength(3);
  });

  it('succeeds on a retry after a failure', async () => {
    let calls = 0;
    queue.register('deliver-message', async () => {
      calls++;
      if (calls === 1) throw new Error('first try fails');
    });
    await queue.enqueue('deliver-message', { messageId: 'm2' });
    await eventually(async () => calls === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(2);
    expect((await queue.counts()).failed).toBe(0);
  });

  it('stops at once on a permanent error', async () => {
    let calls = 0;
    queue.register('deliver-message', async () => {
      calls++;
      throw new PermanentJobError('no point retrying');
    });
    await queue.enqueue('deliver-message', { messageId: 'm3' });
    await eventually(async () => (await queue.counts()).failed === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
  });

  it('runs a job once for a repeated job id', async () => {
    let calls = 0;
    queue.register('evaluate-event', async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 100));
    });
    await Promise.all(
      [1, 2, 3].map(() =>
        queue.enqueue('evaluate-event', { eventId: 'same' }, { jobId: 'evaluate:same' }),
      ),
    );
    await eventually(async () => calls >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
  });

  it('queues several jobs in one call, each once per job id, with its delay and attempts', async () => {
    const runs: Array<{ id: string; attempt: number; maxAttempts: number; at: number }> = [];
    queue.register('deliver-message', async (p, ctx) => {
      runs.push({
        id: p.messageId,
        attempt: ctx.attempt,
        maxAttempts: ctx.maxAttempts,
        at: Date.now(),
      });
      if (p.messageId === 'flaky' && ctx.attempt === 1) throw new Error('first try fails');
    });
    const start = Date.now();
    await queue.enqueueMany('deliver-message', [
      { payload: { messageId: 'a' }, options: { jobId: 'deliver:a' } },
      { payload: { messageId: 'a' }, options: { jobId: 'deliver:a' } },
      { payload: { messageId: 'later' }, options: { jobId: 'deliver:later', delayMs: 300 } },
      { payload: { messageId: 'flaky' }, options: { jobId: 'deliver:flaky', attempts: 2 } },
    ]);
    await queue.enqueueMany('deliver-message', []);
    await eventually(async () => runs.length === 4, 10000);
    await new Promise((r) => setTimeout(r, 200));
    expect(runs.map((r) => r.id).sort()).toEqual(['a', 'flaky', 'flaky', 'later']);
    expect(runs.filter((r) => r.id === 'flaky').map((r) => [r.attempt, r.maxAttempts])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(runs.find((r) => r.id === 'later')!.at - start).toBeGreaterThanOrEqual(290);
  });

  it('runs a scheduled job repeatedly', async () => {
    let runs = 0;
    queue.register('sweep-messages', async () => void runs++);
    await queue.schedule('sweep-messages', 100);
    await eventually(async () => runs >= 3, 10000);
  });

  it('refuses a second handler for one job and keeps the first', async () => {
    const seen: string[] = [];
    queue.register('evaluate-event', async (p) => void seen.push(`first:${p.eventId}`));
    expect(() =>
      queue.register('evaluate-event', async (p) => void seen.push(`second:${p.eventId}`)),
    ).toThrow(/already registered/);
    await queue.enqueue('evaluate-event', { eventId: 'e9' });
    await eventually(async () => seen.length === 1);
    expect(seen).toEqual(['first:e9']);
  });

  it('runs at most its concurrency of jobs at once, all job names together', async () => {
    // The adapters above are built with a concurrency of 4; three names, four jobs each.
    const limit = 4;
    let running = 0;
    let most = 0;
    const done: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const hold = (id: string) => async () => {
      running++;
      most = Math.max(most, running);
      await gate;
      running--;
      done.push(id);
    };
    queue.register('evaluate-event', (p) => hold(`event:${p.eventId}`)());
    queue.register('deliver-webhook', (p) => hold(`webhook:${p.deliveryId}`)());
    queue.register('process-inbound', (p) => hold(`inbound:${p.inboundId}`)());
    const ids = [1, 2, 3, 4].map(String);
    await queue.enqueueMany(
      'evaluate-event',
      ids.map((id) => ({ payload: { eventId: id } })),
    );
    await queue.enqueueMany(
      'deliver-webhook',
      ids.map((id) => ({ payload: { deliveryId: id } })),
    );
    await queue.enqueueMany(
      'process-inbound',
      ids.map((id) => ({ payload: { inboundId: id } })),
    );
    try {
      await eventually(async () => running >= limit);
      // Time for any job past the limit to start, were it allowed to: one worker loop per name
      // would have started all twelve by now.
      await new Promise((r) => setTimeout(r, 500));
      expect(running).toBe(limit);
      expect((await queue.counts()).active).toBe(limit);
    } finally {
      // Held jobs would keep close() waiting.
      open();
    }
    await eventually(async () => done.length === 12, 10000);
    expect(most).toBe(limit);
    expect(done.filter((d) => d.startsWith('event:'))).toHaveLength(4);
    expect(done.filter((d) => d.startsWith('webhook:'))).toHaveLength(4);
    expect(done.filter((d) => d.startsWith('inbound:'))).toHaveLength(4);
  });

  it('waits for running jobs on close', async () => {
    let finished = false;
    queue.register('evaluate-event', async () => {
      await new Promise((r) => setTimeout(r, 200));
      finished = true;
    });
    await queue.enqueue('evaluate-event', { eventId: 'slow' });
    await eventually(async () => (await queue.counts()).active === 1);
    await queue.close();
    expect(finished).toBe(true);
  });
});
