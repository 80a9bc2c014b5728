import { parseIsoDuration } from '../common/time/iso-duration';

/**
 * When each reminder of a cycle is due: the reward time plus each interval, in the order of the
 * list. Intervals that do not parse are skipped (settings are validated on the way in).
 */
export function reminderDueTimes(
  rewardAt: Date,
  intervals: readonly string[],
): Array<{ intervalIndex: number; dueAt: Date }> {
  const out: Array<{ intervalIndex: number; dueAt: Date }> = [];
  intervals.forEach((interval, intervalIndex) => {
    const ms = parseIsoDuration(interval);
    if (ms !== null) out.push({ intervalIndex, dueAt: new Date(rewardAt.getTime() + ms) });
  });
  return out;
}

/** Of several reminders of one participant due at once (after downtime), only the latest goes out. */
export function supersededReminders<
  T extends { participantId: string; programId: string; intervalIndex: number },
>(due: readonly T[]): Set<T> {
  const latest = new Map<string, T>();
  for (const r of due) {
    const key = `${r.programId}\u0000${r.participantId}`;
    const seen = latest.get(key);
    if (!seen || r.intervalIndex > seen.intervalIndex) latest.set(key, r);
  }
  const kept = new Set(latest.values());
  return new Set(due.filter((r) => !kept.has(r)));
}
