import { loadConfig } from '../config/app.config';

describe('SEND_LIMIT_MINUTE_MS and SEND_LIMIT_DAY_MS', () => {
  const production = {
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'https://rewards.example.com',
    BUILTIN_FROM_ADDRESS: 'notifications@example.com',
  };

  it('default to a real minute and day', () => {
    expect(loadConfig({})).toMatchObject({
      SEND_LIMIT_MINUTE_MS: 60_000,
      SEND_LIMIT_DAY_MS: 86_400_000,
    });
  });

  it('may be shortened for tests when the day is a whole number of minutes', () => {
    expect(loadConfig({ SEND_LIMIT_MINUTE_MS: '500', SEND_LIMIT_DAY_MS: '3000' })).toMatchObject({
      SEND_LIMIT_MINUTE_MS: 500,
      SEND_LIMIT_DAY_MS: 3000,
    });
  });

  it('refuse a day that does not hold whole minute windows', () => {
    expect(() => loadConfig({ SEND_LIMIT_MINUTE_MS: '700', SEND_LIMIT_DAY_MS: '3000' })).toThrow(
      /SEND_LIMIT_DAY_MS="3000": SEND_LIMIT_DAY_MS must be a whole multiple of SEND_LIMIT_MINUTE_MS \(700\)/,
    );
  });

  it('refuse windows too short to count in', () => {
    expect(() => loadConfig({ SEND_LIMIT_MINUTE_MS: '10' })).toThrow(/SEND_LIMIT_MINUTE_MS/);
  });

  it('refuse shortened windows in production', () => {
    expect(loadConfig(production).SEND_LIMIT_MINUTE_MS).toBe(60_000);
    expect(() =>
      loadConfig({ ...production, SEND_LIMIT_MINUTE_MS: '1000', SEND_LIMIT_DAY_MS: '4000' }),
    ).toThrow(/tests only; in production leave them unset/);
  });
});
