import type { RewardAction } from '../../rules/engine/rule-types';
import { referenceIn, rewardOptionsOf } from './reward-action-options';

const base: RewardAction = {
  type: 'reward',
  to: 'referrer',
  kind: 'cash',
  amount: 25,
  currency: 'USD',
};
const now = new Date('2026-03-01T00:00:00Z');

describe('rewardOptionsOf', () => {
  it('is available at once, with every email on, without options', () => {
    const o = rewardOptionsOf(base, {}, now);
    expect(o.pending).toBeNull();
    expect(o.reference).toBeNull();
    expect(o.emails).toMatchObject({
      role: 'referrer',
      earned: 'reward-earned',
      pending: true,
      denied: true,
      reversed: true,
      expiring: false,
    });
  });

  it('holds until now plus the duration', () => {
    const o = rewardOptionsOf({ ...base, hold: 'P30D' }, {}, now);
    expect(o.pending).toEqual({ reason: 'HOLD', releaseAt: new Date('2026-03-31T00:00:00Z') });
  });

  it('waits for approval without a release date', () => {
    expect(rewardOptionsOf({ ...base, approval: 'manual' }, {}, now).pending).toEqual({
      reason: 'AWAITING_APPROVAL',
      releaseAt: null,
    });
  });

  it('takes the reference from the event and keeps the expiry', () => {
    const o = rewardOptionsOf(
      { ...base, ref: '$.order.id', expiresAfter: 'P90D', expiringEmailBefore: 'P7D' },
      { order: { id: 'o-1' } },
      now,
    );
    expect(o.reference).toBe('o-1');
    expect(o.expiresAfterSeconds).toBe(90 * 86400);
    expect(o.emails).toMatchObject({ expiring: true, expiringBeforeSeconds: 7 * 86400 });
  });

  it('turns single emails off, and all with email: false', () => {
    expect(
      rewardOptionsOf({ ...base, emails: { pending: false, denied: false } }, {}, now).emails,
    ).toMatchObject({ pending: false, denied: false, earned: 'reward-earned', reversed: true });
    expect(rewardOptionsOf({ ...base, email: false }, {}, now).emails).toMatchObject({
      pending: false,
      earned: false,
      denied: false,
      reversed: false,
    });
  });
});

describe('referenceIn', () => {
  it.each([
    [{ orderId: 'A-1' }, '$.orderId', 'A-1'],
    [{ orderId: 42 }, '$.orderId', '42'],
    [{ orderId: null }, '$.orderId', null],
    [{ orderId: { x: 1 } }, '$.orderId', null],
    [{}, '$.orderId', null],
    [{ items: [{ sku: 's' }] }, '$.items[0].sku', 's'],
    [{}, '$.constructor', null],
  ])('%j at %s is %p', (data, path, expected) => {
    expect(referenceIn(data, path)).toBe(expected);
  });
});
