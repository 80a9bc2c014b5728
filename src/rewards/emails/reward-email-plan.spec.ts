import type { RewardEmailPlan } from '../reward.entity';
import {
  canTransition,
  isOwed,
  REWARD_STATUSES,
  REWARD_TRANSITIONS,
} from '../states/reward-states';
import { creationTemplate, transitionTemplate } from './reward-email-plan';

const all: RewardEmailPlan = {
  role: 'participant',
  earned: 'reward-earned',
  pending: true,
  denied: true,
  reversed: true,
  expiring: false,
};

describe('reward emails by state', () => {
  it('sends reward-pending at creation of a pending reward and the earned template of an available one', () => {
    expect(creationTemplate({ status: 'pending', emails: all })).toBe('reward-pending');
    expect(creationTemplate({ status: 'available', emails: { ...all, earned: 'vip' } })).toBe(
      'vip',
    );
    expect(creationTemplate({ status: 'available', emails: { ...all, earned: false } })).toBeNull();
    expect(creationTemplate({ status: 'pending', emails: { ...all, pending: false } })).toBeNull();
    expect(creationTemplate({ status: 'available', emails: null })).toBeNull();
  });

  it.each([
    ['pending', 'available', 'reward-earned'],
    ['pending', 'denied', 'reward-denied'],
    ['available', 'reversed', 'reward-reversed'],
    ['paid', 'reversed', 'reward-reversed'],
    ['pending', 'cancelled', 'reward-reversed'],
    ['available', 'cancelled', null],
    ['available', 'paid', null],
    ['available', 'expired', null],
  ] as const)('%s → %s sends %s', (from, to, expected) => {
    expect(transitionTemplate({ status: to, emails: all }, from)).toBe(expected);
  });

  it('sends nothing a rule turned off', () => {
    const off = { ...all, denied: false, reversed: false };
    expect(transitionTemplate({ status: 'denied', emails: off }, 'pending')).toBeNull();
    expect(transitionTemplate({ status: 'reversed', emails: off }, 'available')).toBeNull();
    expect(transitionTemplate({ status: 'cancelled', emails: off }, 'pending')).toBeNull();
  });
});

describe('reward state table', () => {
  it('ends in the four final states and lets nothing return to pending', () => {
    for (const s of ['denied', 'cancelled', 'reversed', 'expired'] as const)
      expect(REWARD_TRANSITIONS[s]).toEqual([]);
    for (const s of REWARD_STATUSES) expect(canTransition(s, 'pending')).toBe(false);
    expect(canTransition('paid', 'available')).toBe(false);
    expect(canTransition('pending', 'paid')).toBe(false);
  });

  it('counts what is owed toward the W-9 total', () => {
    expect(REWARD_STATUSES.filter(isOwed)).toEqual(['available', 'paid', 'redeemed']);
  });
});
