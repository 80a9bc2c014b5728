import { taxableUsdOf } from './reward-kinds';

describe('taxableUsdOf', () => {
  it.each([
    ['USD cash counts its amount', { kind: 'cash', amount: 25, currency: 'USD' }, 25],
    ['a USD gift card counts its amount', { kind: 'gift_card', amount: 50, currency: 'USD' }, 50],
    [
      'USD cash ignores a taxableUsd given anyway',
      { kind: 'cash', amount: 25, currency: 'USD', taxableUsd: 3 },
      25,
    ],
    [
      'EUR cash counts what the rule set',
      { kind: 'cash', amount: 25, currency: 'EUR', taxableUsd: 27.1 },
      27.1,
    ],
    ['EUR cash without taxableUsd counts 0', { kind: 'cash', amount: 25, currency: 'EUR' }, 0],
    [
      'credit counts what the rule set',
      { kind: 'credit', amount: 10, currency: 'USD', taxableUsd: 10 },
      10,
    ],
    ['points count 0 by default', { kind: 'points', amount: 100, currency: 'USD' }, 0],
  ] as const)('%s', (_name, reward, expected) => {
    expect(taxableUsdOf(reward)).toBe(expected);
  });
});
