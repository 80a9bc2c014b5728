import {
  pausedState,
  reserveSlot,
  slotStillHolds,
  windowEnd,
  type SendLimitState,
  type SendWindows,
} from './send-windows';

const W: SendWindows = { minuteMs: 1000, dayMs: 10_000 };

/** Reserves `n` sends one after another at `now`, as the store would keep the state. */
function reserveMany(
  n: number,
  limits: { perMinute: number | null; perDay: number | null },
  now: number,
) {
  let state: SendLimitState | null = null;
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const slot = reserveSlot(state, limits, W, now);
    state = slot.state;
    at.push(slot.at);
  }
  return { at, state: state! };
}

describe('reserveSlot', () => {
  it('sends at once while the window has room', () => {
    const slot = reserveSlot(null, { perMinute: 3, perDay: null }, W, 20_000);
    expect(slot).toMatchObject({ at: 20_000, reason: null });
    expect(slot.state).toMatchObject({ minuteStart: 20_000, minuteCount: 1, dayCount: 1 });
  });

  it('never puts more than perMinute sends in one minute window, and spreads them over it', () => {
    const { at } = reserveMany(10, { perMinute: 3, perDay: null }, 20_000);
    const perWindow = new Map<number, number>();
    for (const t of at)
      perWindow.set(Math.floor(t / 1000), (perWindow.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect([...perWindow.values()].every((n) => n <= 3)).toBe(true);
    // Four windows for ten sends, each window's sends a third of it apart.
    expect(at).toEqual([
      20_000, 20_333, 20_666, 21_000, 21_333, 21_666, 22_000, 22_333, 22_666, 23_000,
    ]);
  });

  it('counts the sends of a window given out earlier, so a later reservation comes after them', () => {
    const first = reserveMany(4, { perMinute: 2, perDay: null }, 20_000);
    const late = reserveSlot(first.state, { perMinute: 2, perDay: null }, W, 20_100);
    expect(first.at).toEqual([20_000, 20_500, 21_000, 21_500]);
    expect(late.at).toBe(22_000);
    expect(late.reason).toBe('perMinute');
  });

  it('waits for the minute limit when earlier reservations crossed into the next day and there is no daily limit', () => {
    // Two sends a minute from 28,000: the sixth reservation lands in the day starting at 30,000.
    const first = reserveMany(5, { perMinute: 2, perDay: null }, 28_000);
    expect(first.state.dayStart).toBe(30_000);
    const late = reserveSlot(first.state, { perMinute: 2, perDay: null }, W, 28_100);
    expect(late.at).toBeGreaterThan(30_000);
    expect(late.reason).toBe('perMinute');
  });

  it('moves to the next day once the day is full, whatever the minute allows', () => {
    const { at } = reserveMany(4, { perMinute: 10, perDay: 3 }, 25_000);
    expect(at.slice(0, 3)).toEqual([25_000, 25_100, 25_200]);
    expect(at[3]).toBe(30_000);
    const again = reserveSlot(
      reserveMany(3, { perMinute: null, perDay: 3 }, 25_000).state,
      { perMinute: null, perDay: 3 },
      W,
      26_000,
    );
    expect(again).toMatchObject({ at: 30_000, reason: 'perDay' });
  });

  it('starts again in a window that has passed', () => {
    const { state } = reserveMany(3, { perMinute: 3, perDay: null }, 20_000);
    expect(reserveSlot(state, { perMinute: 3, perDay: null }, W, 21_200).at).toBe(21_200);
  });

  it('waits for a pause to end, then spreads from there', () => {
    const paused = pausedState(null, 24_000);
    const slot = reserveSlot(paused, { perMinute: 2, perDay: null }, W, 22_100);
    expect(slot).toMatchObject({ at: 24_000, reason: 'paused' });
    const next = reserveSlot(slot.state, { perMinute: 2, perDay: null }, W, 22_100);
    expect(next.at).toBe(24_500);
  });

  it('forgets a pause that is over', () => {
    const slot = reserveSlot(pausedState(null, 21_000), { perMinute: 5, perDay: null }, W, 21_500);
    expect(slot).toMatchObject({ at: 21_500, reason: null });
    expect(slot.state.pausedUntil).toBeNull();
  });
});

describe('slotStillHolds', () => {
  const limits = { perMinute: 3, perDay: null };

  it('waits before its time, sends in its window, expires in a later window or while paused', () => {
    expect(slotStillHolds(21_500, null, limits, W, 21_400)).toBe('wait');
    expect(slotStillHolds(21_500, null, limits, W, 21_900)).toBe('send');
    expect(slotStillHolds(21_500, null, limits, W, 22_000)).toBe('expired');
    expect(slotStillHolds(21_500, pausedState(null, 23_000), limits, W, 21_600)).toBe('expired');
  });

  it('holds late for an account without limits: only a pause mattered', () => {
    expect(slotStillHolds(21_500, null, { perMinute: null, perDay: null }, W, 99_000)).toBe('send');
  });
});

describe('windowEnd', () => {
  it('ends the minute or the day the time is in', () => {
    expect(windowEnd('minute', W, 21_500)).toBe(22_000);
    expect(windowEnd('day', W, 21_500)).toBe(30_000);
  });
});
