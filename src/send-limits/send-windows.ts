import type { SendLimits } from './send-limits';

/**
 * The lengths of the two windows limits are counted in: a minute and a day, unless the
 * configuration shortens them for tests. Windows are aligned on the epoch (a day window is a UTC
 * day), so every process agrees on where one ends without asking another.
 */
export interface SendWindows {
  minuteMs: number;
  dayMs: number;
}

export const REAL_WINDOWS: SendWindows = { minuteMs: 60_000, dayMs: 86_400_000 };

/**
 * What is counted for one account: the latest window anything was reserved in (reservations are
 * handed out in order, so every earlier window is spent), how many sends it holds, and until
 * when a quota reply of the server paused the account. Times in ms since the epoch.
 */
export interface SendLimitState {
  minuteStart: number | null;
  minuteCount: number;
  dayStart: number | null;
  dayCount: number;
  pausedUntil: number | null;
}

export const EMPTY_STATE: SendLimitState = {
  minuteStart: null,
  minuteCount: 0,
  dayStart: null,
  dayCount: 0,
  pausedUntil: null,
};

/** Why a message waits: a limit of its account is spent, or the server paused the account. */
export type WaitReason = 'perMinute' | 'perDay' | 'paused';

/** A reserved send: when it may go, why it waits if it does, and the state that counts it. */
export interface Slot {
  at: number;
  reason: WaitReason | null;
  state: SendLimitState;
}

const windowStart = (t: number, length: number) => Math.floor(t / length) * length;

/** The end of the window that holds `now`: when a paused account may send again. */
export function windowEnd(kind: 'minute' | 'day', windows: SendWindows, now: number): number {
  const length = kind === 'day' ? windows.dayMs : windows.minuteMs;
  return windowStart(now, length) + length;
}

/**
 * Reserves the earliest send the limits allow from `now`: in the current window when it has
 * room, else in the first later one that has. The sends of one minute window are spread evenly
 * over it (the k-th no earlier than k/perMinute of the way in), so a backlog does not leave in
 * bursts at each window's start, which providers answer with throttling of their own.
 */
export function reserveSlot(
  state: SendLimitState | null,
  limits: SendLimits,
  windows: SendWindows,
  now: number,
): Slot {
  const s = state ?? EMPTY_STATE;
  const pausedUntil = s.pausedUntil !== null && s.pausedUntil > now ? s.pausedUntil : null;
  let t = now;
  let reason: WaitReason | null = null;
  if (pausedUntil !== null) {
    t = pausedUntil;
    reason = 'paused';
  }
  // A reservation never takes a place before one handed out already.
  if (s.minuteStart !== null && s.minuteStart > t) {
    // Reservations run into a later day only because of a daily limit, or because the minutes
    // reserved crossed a day boundary: then the minute limit is what this one waits for.
    reason =
      limits.perDay !== null && s.dayStart !== null && s.dayStart > windowStart(t, windows.dayMs)
        ? 'perDay'
        : 'perMinute';
    t = s.minuteStart;
  }
  // At most: the day is full (next day), the minute is full (next minute), then there is room.
  for (let step = 0; step < 3; step++) {
    const minute = windowStart(t, windows.minuteMs);
    const day = windowStart(t, windows.dayMs);
    const dayCount = s.dayStart === day ? s.dayCount : 0;
    if (limits.perDay !== null && dayCount >= limits.perDay) {
      t = day + windows.dayMs;
      reason = 'perDay';
      continue;
    }
    const minuteCount = s.minuteStart === minute ? s.minuteCount : 0;
    if (limits.perMinute !== null && minuteCount >= limits.perMinute) {
      t = minute + windows.minuteMs;
      reason = 'perMinute';
      continue;
    }
    const spread =
      limits.perMinute !== null
        ? minute + Math.floor((minuteCount * windows.minuteMs) / limits.perMinute)
        : t;
    const at = Math.max(t, spread);
    return {
      at,
      reason: at > now ? (reason ?? 'perMinute') : null,
      state: {
        minuteStart: minute,
        minuteCount: minuteCount + 1,
        dayStart: day,
        dayCount: dayCount + 1,
        pausedUntil,
      },
    };
  }
  throw new Error('no send slot found within three windows');
}

/**
 * Whether a send reserved for `at` may still go at `now`: not before its time, not while the
 * account is paused, and only within the windows it was counted in (a send that comes late into
 * a later window would go beyond that window's count).
 */
export function slotStillHolds(
  at: number,
  state: SendLimitState | null,
  limits: SendLimits,
  windows: SendWindows,
  now: number,
): 'wait' | 'send' | 'expired' {
  if (now < at) return 'wait';
  if (state?.pausedUntil != null && state.pausedUntil > now) return 'expired';
  if (
    limits.perMinute !== null &&
    windowStart(now, windows.minuteMs) !== windowStart(at, windows.minuteMs)
  )
    return 'expired';
  if (limits.perDay !== null && windowStart(now, windows.dayMs) !== windowStart(at, windows.dayMs))
    return 'expired';
  return 'send';
}

/** The state with the account paused until at least `until`. */
export function pausedState(state: SendLimitState | null, until: number): SendLimitState {
  const s = state ?? EMPTY_STATE;
  return { ...s, pausedUntil: Math.max(s.pausedUntil ?? 0, until) };
}

/** How long a stored state still matters: past this nothing in it changes a decision. */
export function stateExpiresAt(state: SendLimitState, windows: SendWindows): number {
  return Math.max(
    state.minuteStart !== null ? state.minuteStart + windows.minuteMs : 0,
    state.dayStart !== null ? state.dayStart + windows.dayMs : 0,
    state.pausedUntil ?? 0,
  );
}
