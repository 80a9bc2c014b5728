import { toCents } from '../common/money/cents';

export const REWARD_KINDS = ['cash', 'credit', 'discount', 'gift_card', 'points'] as const;
export type RewardKind = (typeof REWARD_KINDS)[number];

// USD cash and gift cards are taxable as paid out; other kinds count what the rule says.
const TAXABLE_AS_AMOUNT: readonly RewardKind[] = ['cash', 'gift_card'];

/** Whether a reward of this kind and currency is taxable at its amount, whatever a rule says. */
export function taxableAsAmount(kind: RewardKind, currency: string | null | undefined): boolean {
  return currency === 'USD' && TAXABLE_AS_AMOUNT.includes(kind);
}

/**
 * The taxable part of a reward in whole USD cents: the amount when taxable as such, else what
 * the rule set. Throws SubCentAmountError for a fraction of a cent: money is never rounded here.
 */
export function taxableCentsOf(r: {
  kind: RewardKind;
  amount: number;
  currency: string;
  taxableUsd?: number;
}): number {
  return toCents(taxableAsAmount(r.kind, r.currency) ? r.amount : (r.taxableUsd ?? 0));
}
