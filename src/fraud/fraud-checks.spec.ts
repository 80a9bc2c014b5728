import { fraudReasons, fraudVerdict, normaliseIp, type FraudFacts } from './fraud-checks';
import { effectiveFraudSettings, type FraudSettings } from './fraud-settings';

const person = (email: string | null, ips: string[] = [], devices: string[] = []) => ({
  email,
  ips,
  devices,
});

const facts = (over: Partial<FraudFacts> = {}): FraudFacts => ({
  participant: person('friend@example.com', ['198.51.100.1'], ['dev-friend']),
  referrer: person('ref@example.com', ['203.0.113.9'], ['dev-ref']),
  toReferrer: true,
  referrerRecentRewards: 0,
  ...over,
});

const all: FraudSettings = {
  mode: 'enforce',
  selfReferral: { sameEmail: true, sameIp: true, sameDevice: true },
  disposableDomains: true,
  maxRewardsPerReferrer: { count: 2, per: 'P1D' },
  onMatch: 'deny',
};
const reasons = (f: FraudFacts, s: FraudSettings = all) =>
  fraudReasons(effectiveFraudSettings(s), f);

describe(fraudReasons.name, () => {
  it('finds nothing in an honest referral', () => {
    expect(reasons(facts())).toEqual([]);
  });

  it('trips SELF_REFERRAL_SAME_EMAIL on two spellings of one Gmail mailbox', () => {
    const f = facts({
      participant: person('Jane.Doe+2@googlemail.com'),
      referrer: person('janedoe@gmail.com'),
    });
    expect(reasons(f)).toEqual(['SELF_REFERRAL_SAME_EMAIL']);
  });

  it('does not match addresses that differ by dots at a non-Gmail domain', () => {
    const f = facts({
      participant: person('jane.doe@company.io'),
      referrer: person('janedoe@company.io'),
    });
    expect(reasons(f)).toEqual([]);
  });

  it('trips SELF_REFERRAL_SAME_IP when an IP of one is an IP of the other', () => {
    const f = facts({
      participant: person('a@example.com', ['::ffff:203.0.113.9']),
      referrer: person('b@example.com', ['198.51.100.4', '203.0.113.9']),
    });
    expect(reasons(f)).toEqual(['SELF_REFERRAL_SAME_IP']);
  });

  it('trips SELF_REFERRAL_SAME_DEVICE on a shared device id, and not on different ones', () => {
    const shared = facts({
      participant: person('a@example.com', [], ['dev-1']),
      referrer: person('b@example.com', [], ['dev-0', 'dev-1']),
    });
    expect(reasons(shared)).toEqual(['SELF_REFERRAL_SAME_DEVICE']);
    const apart = facts({
      participant: person('a@example.com', [], ['dev-1']),
      referrer: person('b@example.com', [], ['dev-2']),
    });
    expect(reasons(apart)).toEqual([]);
  });

  it('trips DISPOSABLE_DOMAIN on either person at a throwaway domain', () => {
    expect(reasons(facts({ participant: person('x@mailinator.com') }))).toEqual([
      'DISPOSABLE_DOMAIN',
    ]);
    expect(reasons(facts({ referrer: person('x@yopmail.com') }))).toEqual(['DISPOSABLE_DOMAIN']);
    expect(reasons(facts({ participant: person('x@outlook.com') }))).toEqual([]);
  });

  it('trips VELOCITY_LIMIT once the referrer has `count` rewards in the window', () => {
    expect(reasons(facts({ referrerRecentRewards: 1 }))).toEqual([]);
    expect(reasons(facts({ referrerRecentRewards: 2 }))).toEqual(['VELOCITY_LIMIT']);
  });

  it('counts velocity only for rewards that go to the referrer', () => {
    expect(reasons(facts({ toReferrer: false, referrerRecentRewards: 9 }))).toEqual([]);
  });

  it('checks no self-referral without a referrer, but still the disposable domain', () => {
    const f = facts({ participant: person('x@mailinator.com', ['1.2.3.4']), referrer: null });
    expect(reasons(f)).toEqual(['DISPOSABLE_DOMAIN']);
  });

  it('skips the checks a program turned off', () => {
    const off: FraudSettings = {
      mode: 'enforce',
      selfReferral: { sameEmail: false, sameIp: false, sameDevice: false },
      disposableDomains: false,
    };
    const f = facts({
      participant: person('same@mailinator.com', ['1.1.1.1'], ['d']),
      referrer: person('same@mailinator.com', ['1.1.1.1'], ['d']),
      referrerRecentRewards: 100,
    });
    expect(reasons(f, off)).toEqual([]);
  });

  it('runs same email, same device and disposable domain by default, not same IP', () => {
    const f = facts({
      participant: person('same@mailinator.com', ['1.1.1.1'], ['d']),
      referrer: person('same@mailinator.com', ['1.1.1.1'], ['d']),
    });
    expect(reasons(f, { mode: 'observe' })).toEqual([
      'SELF_REFERRAL_SAME_EMAIL',
      'SELF_REFERRAL_SAME_DEVICE',
      'DISPOSABLE_DOMAIN',
    ]);
  });
});

describe(fraudVerdict.name, () => {
  const tripped = facts({ referrerRecentRewards: 5 });

  it('is null when the checks are off', () => {
    expect(fraudVerdict(effectiveFraudSettings({ mode: 'off' }), tripped)).toBeNull();
    expect(fraudVerdict(effectiveFraudSettings(undefined), tripped)).toBeNull();
  });

  it('records a match without acting in observe mode', () => {
    expect(fraudVerdict(effectiveFraudSettings({ ...all, mode: 'observe' }), tripped)).toEqual({
      mode: 'observe',
      verdict: 'match',
      reasons: ['VELOCITY_LIMIT'],
      action: 'none',
    });
  });

  it('acts as onMatch says in enforce mode (hold by default)', () => {
    expect(fraudVerdict(effectiveFraudSettings(all), tripped)?.action).toBe('deny');
    const hold = effectiveFraudSettings({ ...all, onMatch: undefined });
    expect(fraudVerdict(hold, tripped)?.action).toBe('hold');
  });

  it('is clear, with no action, when nothing trips', () => {
    expect(fraudVerdict(effectiveFraudSettings(all), facts())).toEqual({
      mode: 'enforce',
      verdict: 'clear',
      reasons: [],
      action: 'none',
    });
  });
});

describe(normaliseIp.name, () => {
  it.each([
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:DB8::1', '2001:db8::1'],
    [' 198.51.100.1 ', '198.51.100.1'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseIp(input)).toBe(expected);
  });
});
