import type { AppConfig } from '../config/app.config';
import { SendLimiter } from './send-limiter';
import { SendLimitStore, type VersionedState } from './send-limit.store';
import type { SendLimitState } from './send-windows';

/** The store's contract in memory, counting its reads. */
class MemoryStore extends SendLimitStore {
  reads = 0;
  private readonly states = new Map<string, VersionedState>();

  async read(key: string): Promise<VersionedState | null> {
    this.reads++;
    return this.states.get(key) ?? null;
  }

  async write(key: string, version: number, next: SendLimitState): Promise<boolean> {
    if ((this.states.get(key)?.version ?? 0) !== version) return false;
    this.states.set(key, { state: next, version: version + 1 });
    return true;
  }
}

const config = { SEND_LIMIT_MINUTE_MS: 60_000, SEND_LIMIT_DAY_MS: 86_400_000 } as AppConfig;
const unlimited = { key: 'smtp:a', limits: { perMinute: null, perDay: null } };

describe('SendLimiter.forBatch', () => {
  it('reads an account without limits once for the whole batch', async () => {
    const store = new MemoryStore();
    const admit = new SendLimiter(store, config).forBatch();
    for (let i = 0; i < 5; i++) expect(await admit(unlimited, null)).toEqual({ send: true });
    expect(store.reads).toBe(1);
    // The next batch reads again.
    await new SendLimiter(store, config).forBatch()(unlimited, null);
    expect(store.reads).toBe(2);
  });

  it('holds the rest of the batch back once this process paused the account', async () => {
    const store = new MemoryStore();
    const limiter = new SendLimiter(store, config);
    const admit = limiter.forBatch();
    expect(await admit(unlimited, null)).toEqual({ send: true });
    const resumes = await limiter.pause(unlimited.key, 'minute');
    expect(await admit(unlimited, null)).toEqual({
      send: false,
      notBefore: resumes,
      reason: 'paused',
    });
    // A batch begun later reads the pause from the store.
    expect(await limiter.forBatch()(unlimited, null)).toMatchObject({ send: false });
  });

  it('sees a pause another process stored before the batch began', async () => {
    const store = new MemoryStore();
    await new SendLimiter(store, config).pause(unlimited.key, 'day');
    const admit = new SendLimiter(store, config).forBatch();
    expect(await admit(unlimited, null)).toMatchObject({ send: false, reason: 'paused' });
  });

  it('counts every send of an account with limits, as admit does', async () => {
    const limited = { key: 'smtp:b', limits: { perMinute: 2, perDay: null } };
    const batched = new MemoryStore();
    const alone = new MemoryStore();
    const admit = new SendLimiter(batched, config).forBatch();
    const limiter = new SendLimiter(alone, config);
    for (let i = 0; i < 3; i++)
      expect((await admit(limited, null)).send).toBe((await limiter.admit(limited, null)).send);
    // Each send read and counted the state: the third was given a later send.
    expect(batched.reads).toBe(3);
    expect(await admit(limited, null)).toMatchObject({ send: false });
  });

  it('tries a failed read again with the next message instead of failing the batch', async () => {
    const store = new MemoryStore();
    let fail = true;
    const read = store.read.bind(store);
    store.read = async (key: string) => {
      if (fail) {
        fail = false;
        throw new Error('Redis went away');
      }
      return read(key);
    };
    const admit = new SendLimiter(store, config).forBatch();
    await expect(admit(unlimited, null)).rejects.toThrow('Redis went away');
    expect(await admit(unlimited, null)).toEqual({ send: true });
  });
});
