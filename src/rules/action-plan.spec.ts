import { Participant } from '../participants/participant.entity';
import { capEmails, describeAction, planActions } from './action-plan';
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

describe('planActions with amounts saved before whole cents', () => {
  const people = { participant: person('buyer'), referrer: person('ref') };

  it('skips a reward whose taxable amount has a fraction of a cent, rather than round it', () => {
    const [planned] = planActions('r', [{ ...cash, amount: 1.005 }], people, 'event-1');
    expect(planned).toMatchObject({ skip: { reason: 'INVALID_AMOUNT' } });
    expect(planned.skip?.message).toContain('1.005');
    expect(planned.effectKey).toBeUndefined();
  });
});

describe('capEmails', () => {
  const people = { participant: person('buyer'), referrer: person('ref') };
  const run = (actions: RuleAction[], rule = 'r') => ({
    actions: planActions(rule, actions, people, 'event-1'),
  });

  it('lets the first emails to a recipient through and skips the rest, over all rules', () => {
    const runs = [run([email, email, email], 'a'), run([email, email, email], 'b')];
    capEmails(runs, 4);
    const reasons = runs.flatMap((r) => r.actions.map((a) => a.skip?.reason ?? 'sent'));
    expect(reasons).toEqual([
      'sent',
      'sent',
      'sent',
      'sent',
      'EMAIL_CAP_REACHED',
      'EMAIL_CAP_REACHED',
    ]);
    expect(runs[1].actions[1].skip?.message).toContain('MAX_EMAILS_PER_EVENT_RECIPIENT');
  });

  it('counts each recipient on its own', () => {
    const toReferrer: RuleAction = { ...email, to: 'referrer' };
    const runs = [run([email, toReferrer, email, toReferrer])];
    capEmails(runs, 1);
    expect(runs[0].actions.map((a) => a.skip?.reason)).toEqual([
      undefined,
      undefined,
      'EMAIL_CAP_REACHED',
      'EMAIL_CAP_REACHED',
    ]);
  });

  it('writes a reward past the cap without its email, and counts no reward without one', () => {
    const quiet: RuleAction = { ...cash, to: 'participant', email: false };
    const loud: RuleAction = { ...cash, to: 'participant' };
    const runs = [run([quiet, email, loud, quiet])];
    capEmails(runs, 1);
    const [a, b, c, d] = runs[0].actions;
    expect([a.skip, a.emailSkip, b.skip, d.skip, d.emailSkip]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(c.skip).toBeUndefined();
    expect(c.emailSkip).toMatchObject({ reason: 'EMAIL_CAP_REACHED' });
  });
});
