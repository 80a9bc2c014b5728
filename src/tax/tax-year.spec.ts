import { roundUsd, w9NoticeDue, w9ThresholdFor, yearInTimeZone } from './tax-year';

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
  it.each([
    [599, 599, false, false],
    [599.01, 599, false, true],
    [600, 599, true, false],
    // 0.1 + 0.2 style sums must not cross the line by a rounding error.
    [599.0000000001, 599, false, false],
  ])('total %d against %d with form %s: %s', (total, threshold, form, due) => {
    expect(w9NoticeDue(total, threshold, form)).toBe(due);
  });

  it('rounds to cents', () => {
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
  });
});
