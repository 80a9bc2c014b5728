import { SEND_TIMEOUTS } from './smtp-timeouts';
import { ConfigError, loadConfig, MIN_MESSAGE_CLAIM_MS } from './app.config';

describe('loadConfig: MESSAGE_CLAIM_MS', () => {
  it('defaults to two minutes', () => {
    expect(loadConfig({}).MESSAGE_CLAIM_MS).toBe(120_000);
  });

  it('takes a value at or above the minimum', () => {
    expect(loadConfig({ MESSAGE_CLAIM_MS: String(MIN_MESSAGE_CLAIM_MS) }).MESSAGE_CLAIM_MS).toBe(
      MIN_MESSAGE_CLAIM_MS,
    );
    expect(loadConfig({ MESSAGE_CLAIM_MS: '600000' }).MESSAGE_CLAIM_MS).toBe(600_000);
  });

  it('has a minimum longer than a send that meets every SMTP send timeout once', () => {
    const longestSingle = Math.max(...Object.values(SEND_TIMEOUTS));
    expect(MIN_MESSAGE_CLAIM_MS).toBeGreaterThan(longestSingle);
    expect(MIN_MESSAGE_CLAIM_MS).toBe(
      SEND_TIMEOUTS.dnsTimeoutMs +
        SEND_TIMEOUTS.connectionTimeoutMs +
        SEND_TIMEOUTS.greetingTimeoutMs +
        SEND_TIMEOUTS.socketTimeoutMs,
    );
    expect(MIN_MESSAGE_CLAIM_MS).toBeLessThanOrEqual(120_000);
  });

  it.each([String(MIN_MESSAGE_CLAIM_MS - 1), '1000', '0', '-5', '1.5', 'soon'])(
    'refuses %s, naming the variable and the minimum',
    (value) => {
      const attempt = () => loadConfig({ MESSAGE_CLAIM_MS: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/MESSAGE_CLAIM_MS=/);
      expect(attempt).toThrow(new RegExp(`at least ${MIN_MESSAGE_CLAIM_MS}`));
    },
  );
});
