/**
 * A reward's life: `pending` (held, awaiting approval, or waiting for a code) → `available` →
 * `paid` (cash) or `redeemed` (codes, credit); and the ends `denied`, `cancelled`, `reversed`,
 * `expired`. Every change goes through RewardsService.transition, which enforces this table.
 */
export const REWARD_STATUSES = [
  'pending',
  'available',
  'paid',
  'redeemed',
  'denied',
  'cancelled',
  'reversed',
  'expired',
] as const;
export type RewardStatus = (typeof REWARD_STATUSES)[number];

export const REWARD_TRANSITIONS: Readonly<Record<RewardStatus, readonly RewardStatus[]>> = {
  pending: ['available', 'denied', 'cancelled'],
  available: ['paid', 'redeemed', 'cancelled', 'reversed', 'expired'],
  // Money already out can still be clawed back (a refund or chargeback after payout).
  paid: ['reversed'],
  redeemed: ['reversed'],
  denied: [],
  cancelled: [],
  reversed: [],
  expired: [],
};

/** Whether `from` may become `to`. */
export function canTransition(from: RewardStatus, to: RewardStatus): boolean {
  return REWARD_TRANSITIONS[from].includes(to);
}

/**
 * The states that count toward the W-9 total: what the program owes or has paid. A pending
 * reward is not owed yet (it may be denied or reversed before release); it enters the total in
 * the transaction that makes it available.
 */
const OWED: readonly RewardStatus[] = ['available', 'paid', 'redeemed'];
export function isOwed(status: RewardStatus): boolean {
  return OWED.includes(status);
}

/** Who made a change: `rule:<id>@<version>`, `api`, `system`, or (later) a console user. */
export type RewardActor = string;

export function ruleActor(ruleId: string, version: number): RewardActor {
  return `rule:${ruleId}@${version}`;
}

/** Why a reward is pending, kept on it while it is. */
export const PENDING_REASONS = [
  'HOLD',
  'AWAITING_APPROVAL',
  'CODE_POOL_EMPTY',
  // A fraud check tripped and the program holds such rewards for a person to approve or deny.
  'FRAUD_REVIEW',
] as const;
export type PendingReason = (typeof PENDING_REASONS)[number];
