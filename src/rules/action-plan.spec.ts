import { Participant } from '../participants/participant.entity';
import { describeAction, planActions } from './action-plan';
import { effectKey } from './engine/effect-keys';
import type { RuleAction } from './engine/rule-types';

const person = (id: string) => Object.assign(new Participant(), { id, email: `${id}@example.com` });
const cash: RuleAction = {
  type: 'reward',
  to: 'referrer',
  kind: 'cash',
  amount: 25,
  currency: 'USD',
};
const email: RuleAction = { type: 'email', template: 'friend-joined', to: 'participant' };

describe('planActions', () => {
  const people = { participant: person('buyer'), referrer: person('ref') };

  it('gives each action its recipient and the effect key of (event, rule, action, recipient)', () => {
    const planned = planActions('rule-1', [email, cash], people, 'event-1');
    expect(planned.map((p) => [p.index, p.recipient?.id, p.effectKey, p.skip])).toEqual([
      [0, 'buyer', effectKey('event-1', 'rule-1', 0, 'buyer'), undefined],
      [1, 'ref', effectKey('event-1', 'rule-1', 1, 'ref'), undefined],
    ]);
  });

  it('skips an action for a referrer the event does not have, with the reason', () => {
    const [planned] = planActions('rule-1', [cash], { ...people, referrer: null }, 'event-1');
    expect(planned).toMatchObject({ recipient: null, skip: { reason: 'RECIPIENT_MISSING' } });
    expect(planned.effectKey).toBeUndefined();
  });

  it('makes no effect keys in a simulation, where there is no event', () => {
    const [planned] = planActions('rule-1', [cash], people);
    expect(planned.recipient?.id).toBe('ref');
    expect(planned.effectKey).toBeUndefined();
  });
});

describe('describeAction', () => {
  const people = { participant: person('buyer'), referrer: person('ref') };
  it.each([
    [
      'an email action',
      email,
      { type: 'email', to: 'participant', recipientId: 'buyer', template: 'friend-joined' },
    ],
    [
      'a reward that emails by default',
      cash,
      {
        type: 'reward',
        to: 'referrer',
        recipientId: 'ref',
        kind: 'cash',
        amount: 25,
        currency: 'USD',
        template: 'reward-earned',
      },
    ],
    ['a reward with its own template', { ...cash, template: 'bonus' }, { template: 'bonus' }],
  ])('describes %s', (_name, action, expected) => {
    expect(describeAction(planActions('r', [action], people)[0])).toMatchObject({
      index: 0,
      ...expected,
    });
  });

  it('names no template for a reward with email: false', () => {
    expect(
      describeAction(planActions('r', [{ ...cash, email: false }], people)[0]),
    ).not.toHaveProperty('template');
  });
});
