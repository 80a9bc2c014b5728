import { centsBelowOrAt, centsToUsd, isWholeCents, SubCentAmountError, toCents } from './cents';

describe('toCents', () => {
  it.each([
    [0, 0],
    [1, 100],
    [0.01, 1],
    [0.1, 10],
    [1.1, 110],
    // 1.15 * 100 is 114.99999999999999 in binary; the digits say 115.
    [1.15, 115],
    [300.01, 30001],
    [599.01, 59901],
    [4.35, 435],
    [1_000_000_000, 100_000_000_000],
    [999_999_999.99, 99_999_999_999],
    [-12.5, -1250],
  ])('%d dollars are %d cents', (usd, cents) => {
    expect(toCents(usd)).toBe(cents);
  });

  it.each([1.005, 300.0049, 299.0049, 0.001, 1e-7, 12.3456])(
    'refuses %d: a fraction of a cent',
    (usd) => {
      expect(() => toCents(usd)).toThrow(SubCentAmountError);
      expect(isWholeCents(usd)).toBe(false);
    },
  );

  it('refuses what is not an amount', () => {
    expect(() => toCents(Number.NaN)).toThrow(RangeError);
    expect(() => toCents(Infinity)).toThrow(RangeError);
    expect(() => toCents(1e300)).toThrow(/too large/);
    expect(isWholeCents(Number.NaN)).toBe(false);
  });

  it('sums exactly where floats do not', () => {
    // The audit: 598 + 1.005 and 300.0049 + 299.0049 are refused; these add to the cent.
    expect(toCents(300.01) + toCents(299)).toBe(59901);
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(centsToUsd(toCents(0.1) + toCents(0.2))).toBe(0.3);
    const many = Array.from({ length: 1000 }, () => toCents(0.01)).reduce((a, b) => a + b, 0);
    expect(many).toBe(1000);
  });
});

describe('centsToUsd', () => {
  it.each([
    [59901, 599.01],
    [59900, 599],
    [1, 0.01],
    [110, 1.1],
    [0, 0],
  ])('%d cents are %d dollars, as JSON prints them', (cents, usd) => {
    expect(centsToUsd(cents)).toBe(usd);
    expect(JSON.stringify(centsToUsd(cents))).toBe(String(usd));
  });

  it('gives back the cents it was given, for every cent up to $100', () => {
    for (let cents = 0; cents <= 10_000; cents++) expect(toCents(centsToUsd(cents))).toBe(cents);
  });
});

describe('centsBelowOrAt', () => {
  it.each([
    [599, 59900],
    [599.01, 59901],
    // A threshold with a fraction of a cent: "more than 599.005" starts at 599.01.
    [599.005, 59900],
    [0, 0],
  ])('%d dollars: a total is above it from %d cents + 1', (usd, cents) => {
    expect(centsBelowOrAt(usd)).toBe(cents);
  });
});
