// USD amounts are counted in whole cents (integers): binary fractions cannot hold 0.01 exactly,
// so sums of dollars drift (598 + 1.005 was 599.00 one way and 599.01 another). Dollars exist
// only at the edges: what a rule or a setting says, and what the API and emails show.

/** An amount with a fraction of a cent where only whole cents are allowed. */
export class SubCentAmountError extends RangeError {
  constructor(readonly amount: number) {
    super(`${amount} has a fraction of a cent; USD amounts have at most 2 decimals`);
  }
}

/** The decimal digits of a finite number as written in JSON: its shortest round-trip form. */
function decimalParts(value: number): { negative: boolean; whole: string; fraction: string } {
  const [mantissa, exponent = '0'] = Math.abs(value).toString().split('e');
  const [intDigits, fracDigits = ''] = mantissa.split('.');
  let digits = intDigits + fracDigits;
  let point = intDigits.length + Number(exponent);
  if (point < 1) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  return { negative: value < 0, whole: digits.slice(0, point), fraction: digits.slice(point) };
}

function split(usd: number): { cents: number; subCent: boolean } {
  if (!Number.isFinite(usd)) throw new RangeError(`${usd} is not an amount`);
  const { negative, whole, fraction } = decimalParts(usd);
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
  if (!Number.isSafeInteger(cents)) throw new RangeError(`${usd} is too large an amount`);
  return {
    cents: negative && cents !== 0 ? -cents : cents,
    subCent: /[1-9]/.test(fraction.slice(2)),
  };
}

/** Whether a USD amount is whole cents, as `usd` was written (1.005 is not; 1.1 is). */
export function isWholeCents(usd: number): boolean {
  try {
    return !split(usd).subCent;
  } catch {
    return false;
  }
}

/** Dollars to exact cents, from the decimal digits rather than `usd * 100`; refuses sub-cents. */
export function toCents(usd: number): number {
  const { cents, subCent } = split(usd);
  if (subCent) throw new SubCentAmountError(usd);
  return cents;
}

/**
 * The cents a total must be above to be "more than `usd`": for 599 that is 59900, for a
 * threshold stored before sub-cents were refused (599.005) the cents below it (59900), so the
 * comparison stays exact either way.
 */
export function centsBelowOrAt(usd: number): number {
  const { cents, subCent } = split(usd);
  return subCent && usd < 0 ? cents - 1 : cents;
}

/** Cents to dollars for JSON and templates: 59901 → 599.01 (the nearest double prints so). */
export function centsToUsd(cents: number): number {
  return cents / 100;
}
