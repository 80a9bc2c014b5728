import { Participant } from '../participants/participant.entity';
import { Program } from '../programs/program.entity';
import { buildRuleFacts, withEventFields } from './rule-facts';

const now = new Date('2026-01-15T10:00:00Z');
const person = (over: Partial<Participant> = {}) =>
  Object.assign(new Participant(), {
    programId: 'p1',
    id: 'buyer',
    email: 'Bea@Example.com',
    emailLower: 'bea@example.com',
    firstName: 'Bea',
    lastName: null,
    locale: 'en',
    country: 'US',
    taxFormOnFile: false,
    payoutDetailsOnFile: false,
    customFields: { tier: 'gold' },
    emailVerifiedAt: null,
    passwordHash: 'scrypt$secret',
    createdAt: now,
    updatedAt: now,
    ...over,
  });
const program = Object.assign(new Program(), {
  id: 'p1',
  name: 'Acme',
  timezone: 'UTC',
  defaultLocale: 'en',
  settings: { w9ThresholdUsd: 1000 },
  secretKeyHash: 'x',
  publishableKeyHash: 'y',
});

describe('buildRuleFacts', () => {
  it('gives conditions the event data, the people as the API shows them, and the program with its settings', () => {
    const facts = buildRuleFacts({
      data: { amount: 80 },
      participant: person(),
      referrer: null,
      program,
    });
    expect(facts.event).toEqual({ amount: 80 });
    expect(facts.participant).toMatchObject({
      id: 'buyer',
      country: 'US',
      emailVerified: false,
      customFields: { tier: 'gold' },
    });
    expect(facts.participant).not.toHaveProperty('passwordHash');
    expect(facts.referrer).toBeNull();
    expect(facts.program).toMatchObject({
      id: 'p1',
      settings: { w9ThresholdUsd: 1000, branding: true },
    });
    expect(facts.program).not.toHaveProperty('secretKeyHash');
  });
});

describe('withEventFields', () => {
  it('puts the fields the event sent over the stored person and leaves the rest', () => {
    const merged = withEventFields(person(), {
      country: 'CA',
      email: 'New@Example.com',
      firstName: undefined,
    });
    expect(merged).toMatchObject({
      country: 'CA',
      email: 'New@Example.com',
      emailLower: 'new@example.com',
      firstName: 'Bea',
      locale: 'en',
    });
    expect(merged).toBeInstanceOf(Participant);
  });

  it('ignores fields that are not a person’s, such as the id', () => {
    expect(
      withEventFields(person(), { id: 'someone-else', passwordHash: 'x' } as never),
    ).toMatchObject({ id: 'buyer', passwordHash: 'scrypt$secret' });
    expect(withEventFields(person(), undefined)).toEqual(person());
  });
});
