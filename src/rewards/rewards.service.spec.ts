import { SubCentAmountError } from '../common/money/cents';
import { taxableCentsOf } from './reward-kinds';

describe('taxableCentsOf', () => {
  it.each([
    ['USD cash counts its amount', { kind: 'cash', amount: 25, currency: 'USD' }, 2500],
    ['a USD gift card counts its amount', { kind: 'gift_card', amount: 50, currency: 'USD' }, 5000],
    [
      'USD cash ignores a taxableUsd given anyway',
      { kind: 'cash', amount: 25, currency: 'USD', taxableUsd: 3 },
      2500,
    ],
    [
      'EUR cash counts what the rule set',
      { kind: 'cash', amount: 25, currency: 'EUR', taxableUsd: 27.1 },
      2710,
    ],
    ['EUR cash without taxableUsd counts 0', { kind: 'cash', amount: 25, currency: 'EUR' }, 0],
    [
      'credit counts what the rule set',
      { kind: 'credit', amount: 10, currency: 'USD', taxableUsd: 10 },
      1000,
    ],
    ['points count 0 by default', { kind: 'points', amount: 100, currency: 'USD' }, 0],
    // Cents from the digits written: 1.1 * 100 and 300.01 * 100 are not whole in binary.
    ['USD cash of 1.10', { kind: 'cash', amount: 1.1, currency: 'USD' }, 110],
    ['USD cash of 300.01', { kind: 'cash', amount: 300.01, currency: 'USD' }, 30001],
    [
      'EUR cash with 4 decimals counts its whole-cent taxableUsd',
      { kind: 'cash', amount: 12.3456, currency: 'EUR', taxableUsd: 13.45 },
      1345,
    ],
  ] as const)('%s', (_name, reward, expected) => {
    expect(taxableCentsOf(reward)).toBe(expected);
  });

  it.each([
    ['USD cash of 1.005', { kind: 'cash', amount: 1.005, currency: 'USD' }],
    ['a USD gift card of 300.0049', { kind: 'gift_card', amount: 300.0049, currency: 'USD' }],
    ['a taxableUsd of 0.005', { kind: 'credit', amount: 1, currency: 'EUR', taxableUsd: 0.005 }],
  ] as const)('refuses %s rather than round it', (_name, reward) => {
    expect(() => taxableCentsOf(reward)).toThrow(SubCentAmountError);
  });
});
