import { Injectable } from '@nestjs/common';
import { KeyedMutex } from '../common/async/keyed-mutex';
import { AppConfig } from '../config/app.config';
import { hasLimits, type SendLimits } from './send-limits';
import { SendLimitStore } from './send-limit.store';
import {
  pausedState,
  reserveSlot,
  slotStillHolds,
  stateExpiresAt,
  windowEnd,
  type SendLimitState,
  type SendWindows,
  type WaitReason,
} from './send-windows';

/** One account mail leaves through, with the limits that hold for it. */
export interface LimitedAccount {
  /** Its transport key: an integration, or a sender identity on it. Counted per key. */
  key: string;
  limits: SendLimits;
}

/** A send reserved earlier for a message that waited: the account and when. */
export interface HeldSlot {
  key: string;
  at: Date;
}

export type Admission =
  | { send: true }
  /** `reason` null: a send reserved earlier, whose time has not come. */
  | { send: false; notBefore: Date; reason: WaitReason | null };

// Compare-and-set rounds lost to other processes before giving up; each lost round means
// another process counted a send, so this bounds waiting, not progress.
const MAX_ROUNDS = 50;

/**
 * The sending limits of every account, counted where all processes see them (SendLimitStore):
 * whether a message may go now or when it may, and pauses after a server's quota reply.
 */
@Injectable()
export class SendLimiter {
  readonly windows: SendWindows;
  // Sends of one account in this process take their turn here, so that processes, not each
  // concurrent job, compete for the store's compare-and-set.
  private readonly turns = new KeyedMutex();
  // Pauses this process set: a batch that read an account before its pause still holds to it.
  private readonly pausedHere = new Map<string, number>();

  constructor(
    private readonly store: SendLimitStore,
    config: AppConfig,
  ) {
    this.windows = { minuteMs: config.SEND_LIMIT_MINUTE_MS, dayMs: config.SEND_LIMIT_DAY_MS };
  }

  /**
   * Whether a message may be sent through `account` now. It may when it holds a send reserved
   * for now, or when one can be reserved now; otherwise it is given the earliest later one and
   * waits for it (reserving it counts it, so it goes when its time comes without asking again).
   */
  admit(account: LimitedAccount, held: HeldSlot | null): Promise<Admission> {
    return this.turns.run(account.key, () =>
      this.compareAndSet<Admission>(account.key, (current, now) => {
        if (held && held.key === account.key) {
          const verdict = slotStillHolds(
            held.at.getTime(),
            current,
            account.limits,
            this.windows,
            now,
          );
          if (verdict === 'wait')
            return { result: { send: false, notBefore: held.at, reason: null } };
          if (verdict === 'send') return { result: { send: true } };
        }
        if (!hasLimits(account.limits)) {
          // Nothing is counted for an account without limits; only a server's pause holds it back.
          const pausedUntil = current?.pausedUntil ?? null;
          return pausedUntil !== null && pausedUntil > now
            ? { result: { send: false, notBefore: new Date(pausedUntil), reason: 'paused' } }
            : { result: { send: true } };
        }
        const slot = reserveSlot(current, account.limits, this.windows, now);
        return {
          next: slot.state,
          result:
            slot.at <= now
              ? { send: true }
              : { send: false, notBefore: new Date(slot.at), reason: slot.reason },
        };
      }),
    );
  }

  /**
   * `admit` for the messages of one delivery batch. An account without limits is held back only
   * by a pause, so its state is read once for the batch instead of once per message; a pause this
   * process sets meanwhile holds the batch's later messages too, and one set by another process
   * is seen by the next batch (a message sent in between meets the server's own quota reply).
   */
  forBatch(): (account: LimitedAccount, held: HeldSlot | null) => Promise<Admission> {
    const pauses = new Map<string, Promise<number | null>>();
    return async (account, held) => {
      if (held || hasLimits(account.limits)) return this.admit(account, held);
      let read = pauses.get(account.key);
      if (!read) {
        read = this.store.read(account.key).then((s) => s?.state.pausedUntil ?? null);
        pauses.set(account.key, read);
        // A failed read is tried again by the next message, not shared with the whole batch.
        read.catch(() => pauses.delete(account.key));
      }
      const now = Date.now();
      const here = this.pausedHere.get(account.key) ?? null;
      if (here !== null && here <= now) this.pausedHere.delete(account.key);
      const until = Math.max((await read) ?? 0, here ?? 0);
      return until > now
        ? { send: false, notBefore: new Date(until), reason: 'paused' }
        : { send: true };
    };
  }

  /**
   * The server answered that the account is over a quota of its own: nothing more is sent
   * through it until the window of that kind ends (the day for a daily quota, else the minute).
   * Returns when sending resumes.
   */
  async pause(accountKey: string, kind: 'minute' | 'day'): Promise<Date> {
    const until = await this.turns.run(accountKey, () =>
      this.compareAndSet(accountKey, (current, now) => {
        const next = pausedState(current, windowEnd(kind, this.windows, now));
        return { next, result: new Date(next.pausedUntil!) };
      }),
    );
    // Only once stored: a pause whose write never won is no pause here either.
    this.pausedHere.set(accountKey, until.getTime());
    return until;
  }

  /** Until when a quota reply paused the account; null when it is not paused. */
  async pausedUntil(accountKey: string): Promise<Date | null> {
    const until = (await this.store.read(accountKey))?.state.pausedUntil ?? null;
    return until !== null && until > Date.now() ? new Date(until) : null;
  }

  /**
   * Reads the account's state, decides, and writes the decision's new state only if no other
   * process wrote in between; otherwise decides again on what that process wrote.
   */
  private async compareAndSet<R>(
    accountKey: string,
    decide: (current: SendLimitState | null, now: number) => { next?: SendLimitState; result: R },
  ): Promise<R> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stored = await this.store.read(accountKey);
      const now = Date.now();
      const { next, result } = decide(stored?.state ?? null, now);
      if (!next) return result;
      const expiresAt = stateExpiresAt(next, this.windows);
      if (await this.store.write(accountKey, stored?.version ?? 0, next, expiresAt)) return result;
      // Another process counted first: a moment's pause, so two losers do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    }
    throw new Error(
      `the sending limit of ${accountKey} could not be counted: other processes kept writing it`,
    );
  }
}
