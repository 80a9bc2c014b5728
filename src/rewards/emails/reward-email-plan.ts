import type { Reward } from '../reward.entity';
import type { RewardStatus } from '../states/reward-states';

/** The email a reward gets in the state it was written in, or null (none asked for). */
export function creationTemplate(reward: Pick<Reward, 'status' | 'emails'>): string | null {
  const plan = reward.emails;
  if (!plan) return null;
  if (reward.status === 'pending') return plan.pending ? 'reward-pending' : null;
  if (reward.status === 'available') return plan.earned || null;
  return null;
}

/**
 * The email a change of state sends, or null: reward-earned (or the rule's template) when a
 * pending reward becomes available, reward-denied, and reward-reversed when a reward is reversed
 * or a pending one its recipient was told about is cancelled.
 */
export function transitionTemplate(
  reward: Pick<Reward, 'status' | 'emails'>,
  from: RewardStatus,
): string | null {
  const plan = reward.emails;
  if (!plan) return null;
  const to = reward.status;
  if (from === 'pending' && to === 'available') return plan.earned || null;
  if (to === 'denied') return plan.denied ? 'reward-denied' : null;
  if (to === 'reversed') return plan.reversed ? 'reward-reversed' : null;
  if (from === 'pending' && to === 'cancelled' && plan.pending && plan.reversed)
    return 'reward-reversed';
  return null;
}
