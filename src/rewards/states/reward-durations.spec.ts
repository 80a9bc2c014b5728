import { parseDuration } from './reward-durations';

describe('parseDuration', () => {
  it.each([
    ['P30D', 30 * 86400],
    ['P2W', 14 * 86400],
    ['PT12H', 12 * 3600],
    ['P1DT6H', 30 * 3600],
    ['PT30S', 30],
    ['PT1M30S', 90],
  ])('%s is %i seconds', (raw, seconds) => {
    expect(parseDuration(raw)).toEqual({ seconds });
  });

  it.each(['P1M', 'P1Y', 'P', 'PT', '30D', 'P0D', 'P-1D', 'P1.5D', 'P4000D', 42, null])(
    'refuses %p with a reason',
    (raw) => {
      const r = parseDuration(raw);
      expect(r).toEqual({ error: expect.any(String) });
    },
  );
});
