import { toCents } from '../common/money/cents';
import { aboveThreshold, w9NoticeDue, w9ThresholdFor, yearInTimeZone } from './tax-year';

describe('yearInTimeZone', () => {
  it.each([
    ['2025-12-31T23:30:00Z', 'UTC', 2025],
    ['2026-01-01T00:30:00Z', 'UTC', 2026],
    // Still New Year's Eve in New York.
    ['2026-01-01T03:00:00Z', 'America/New_York', 2025],
    // Already New Year's Day in Tokyo.
    ['2025-12-31T16:00:00Z', 'Asia/Tokyo', 2026],
  ])('puts %s in %s in %i', (at, zone, year) => {
    expect(yearInTimeZone(new Date(at), zone)).toBe(year);
  });
});

describe('w9ThresholdFor', () => {
  it.each([
    [undefined, 2025, 599],
    [{}, 2025, 599],
    [{ w9ThresholdUsd: 1000 }, 2025, 1000],
    [{ w9ThresholdUsd: 1000, w9ThresholdsByYear: { '2026': 2000 } }, 2026, 2000],
    [{ w9ThresholdUsd: 1000, w9ThresholdsByYear: { '2026': 2000 } }, 2025, 1000],
    [{ w9ThresholdsByYear: { '2026': 0 } }, 2026, 0],
  ])('reads %j for %i as %i', (settings, year, expected) => {
    expect(w9ThresholdFor(settings, year)).toBe(expected);
  });
});

describe('w9NoticeDue', () => {
  // Totals are whole cents now; the cases are the same amounts as before.
  it.each([
    [59900, 599, false, false],
    [59901, 599, false, true],
    [60000, 599, true, false],
    // 0.1 + 0.2 style sums cannot cross the line by a rounding error: cents add exactly.
    [toCents(598.7) + toCents(0.1) + toCents(0.2), 599, false, false],
    [toCents(300.01) + toCents(299), 599, false, true],
    // A threshold stored before sub-cents were refused still compares exactly.
    [59900, 599.005, false, false],
    [59901, 599.005, false, true],
  ])('total %d cents against %d with form %s: %s', (total, threshold, form, due) => {
    expect(w9NoticeDue(total, threshold, form)).toBe(due);
  });

  it('adds in cents, so 0.1 + 0.2 is 30 cents', () => {
    expect(toCents(0.1) + toCents(0.2)).toBe(30);
  });

  it('is above a threshold of 0 from the first cent', () => {
    expect(aboveThreshold(0, 0)).toBe(false);
    expect(aboveThreshold(1, 0)).toBe(true);
  });
});
