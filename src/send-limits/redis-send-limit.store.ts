import type Redis from 'ioredis';
import { SendLimitStore, type VersionedState } from './send-limit.store';
import type { SendLimitState } from './send-windows';

// Compare-and-set in one script: the state is replaced only if its version is the one read.
const WRITE_SCRIPT = `
local stored = redis.call('HGET', KEYS[1], 'version')
if (stored or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

// Kept a little past its last use, so a slow clock on one process does not lose a count.
const EXPIRY_MARGIN_MS = 60_000;

/** The counts in Redis: one hash per account, gone by itself once its windows have passed. */
export class RedisSendLimitStore extends SendLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  private key(accountKey: string): string {
    return `${this.prefix}:send-limit:${accountKey}`;
  }

  async read(accountKey: string): Promise<VersionedState | null> {
    const [version, state] = await this.redis.hmget(this.key(accountKey), 'version', 'state');
    if (!version || !state) return null;
    return { version: Number(version), state: JSON.parse(state) as SendLimitState };
  }

  async write(
    accountKey: string,
    version: number,
    next: SendLimitState,
    expiresAt: number,
  ): Promise<boolean> {
    const ttl = Math.max(expiresAt - Date.now(), 0) + EXPIRY_MARGIN_MS;
    const written = await this.redis.eval(
      WRITE_SCRIPT,
      1,
      this.key(accountKey),
      String(version),
      String(version + 1),
      JSON.stringify(next),
      String(ttl),
    );
    return written === 1;
  }

  override async close(): Promise<void> {
    // A client that never connected (nothing was sent through a limited account) just stops.
    if (this.redis.status === 'wait') this.redis.disconnect();
    else await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
