import type { Repository } from 'typeorm';
import { EntityQueries } from '../database/entity-queries';
import { SendLimitStateRow } from './send-limit-state.entity';
import type { SendLimitState } from './send-windows';

/** A stored state and the version a write must name to replace it. */
export interface VersionedState {
  state: SendLimitState;
  /** 0 when nothing is stored. */
  version: number;
}

/**
 * Where the counts of every account's sending limits live, shared by all processes: Redis when
 * REDIS_URL is set, else the database. Writes are compare-and-set, so two processes that read
 * the same state cannot both count on it: the second write fails and its process reads again.
 */
export abstract class SendLimitStore {
  abstract read(accountKey: string): Promise<VersionedState | null>;
  /**
   * Replaces the state if its version is still `version` (0: none stored yet); false when
   * another process wrote in between. `expiresAt` (ms) is when the state stops mattering.
   */
  abstract write(
    accountKey: string,
    version: number,
    next: SendLimitState,
    expiresAt: number,
  ): Promise<boolean>;
  async close(): Promise<void> {}
}

const ms = (d: Date | null) => (d ? d.getTime() : null);
const date = (t: number | null) => (t === null ? null : new Date(t));

/** The counts in the `send_limit_states` table: one row per account, a version per write. */
export class DatabaseSendLimitStore extends SendLimitStore {
  private readonly queries: EntityQueries<SendLimitStateRow>;

  constructor(rows: Repository<SendLimitStateRow>) {
    super();
    this.queries = new EntityQueries(rows);
  }

  async read(accountKey: string): Promise<VersionedState | null> {
    const row = await this.queries.findOne({ accountKey });
    if (!row) return null;
    return {
      version: row.version,
      state: {
        minuteStart: ms(row.minuteStart),
        minuteCount: row.minuteCount,
        dayStart: ms(row.dayStart),
        dayCount: row.dayCount,
        pausedUntil: ms(row.pausedUntil),
      },
    };
  }

  async write(accountKey: string, version: number, next: SendLimitState): Promise<boolean> {
    const values = {
      minuteStart: date(next.minuteStart),
      minuteCount: next.minuteCount,
      dayStart: date(next.dayStart),
      dayCount: next.dayCount,
      pausedUntil: date(next.pausedUntil),
      updatedAt: new Date(),
    };
    // The first write of an account inserts; of two processes doing it at once, one inserts.
    if (version === 0)
      return (
        (await this.queries.insert(
          { accountKey, ...values, version: 1 },
          { ignoreConflict: true },
        )) === 1
      );
    return (
      (await this.queries.update({ ...values, version: version + 1 }, { accountKey, version })) ===
      1
    );
  }
}
