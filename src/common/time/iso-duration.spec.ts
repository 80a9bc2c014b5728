import { parseIsoDuration } from './iso-duration';

describe('parseIsoDuration', () => {
  it.each([
    ['P3D', 3 * 86400000],
    ['P2W', 14 * 86400000],
    ['PT1S', 1000],
    ['PT2S', 2000],
    ['PT1H30M', 5400000],
    ['P1DT12H', 36 * 3600000],
    ['PT0.5S', 500],
  ])('reads %s as %d ms', (input, ms) => {
    expect(parseIsoDuration(input)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '3D', 'P1M', 'P1Y', 'PT0S', 'P-1D', 'p3d', 'P3DT'])(
    'refuses %p',
    (input) => {
      expect(parseIsoDuration(input)).toBeNull();
    },
  );
});
