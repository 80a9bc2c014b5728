import { sampleEmailData } from './email-samples';
import {
  contractFor,
  EMAIL_TYPE_KEYS,
  EMAIL_TYPES,
  flattenDetails,
  SYSTEM_EMAIL_KEYS,
  toPersonVars,
  toProgramVars,
  toRewardVars,
  type Field,
} from './email-types';

// Every variable of the contract is in the data, recursively: strict mode needs them present.
function missing(field: Field, value: unknown, path: string): string[] {
  if (value === undefined) return [path];
  if (value === null) return field.nullable ? [] : [`${path} (null)`];
  if (field.kind === 'object')
    return Object.entries(field.fields).flatMap(([k, f]) =>
      missing(f, (value as Record<string, unknown>)[k], `${path}.${k}`),
    );
  if (field.kind === 'list')
    return (value as unknown[]).flatMap((v, i) => missing(field.of, v, `${path}.${i}`));
  return [];
}

describe('email types', () => {
  it('lists the system keys and the generic contract', () => {
    expect(SYSTEM_EMAIL_KEYS).toEqual([
      'verification',
      'password-reset',
      'password-changed',
      'w9-required',
      'payout-reminder',
      'reward-earned',
      'reward-pending',
      'reward-denied',
      'reward-reversed',
      'reward-expiring',
      'program-alert',
    ]);
    expect(EMAIL_TYPE_KEYS).toContain('generic');
  });

  it('uses the generic contract for a program key', () => {
    expect(contractFor('spring-promo')).toBe(EMAIL_TYPES.generic);
    expect(contractFor('verification')).toBe(EMAIL_TYPES.verification);
    expect(contractFor('__proto__')).toBe(EMAIL_TYPES.generic);
  });

  it.each(EMAIL_TYPE_KEYS.flatMap((key) => ['en', 'es', 'pt-BR'].map((locale) => [key, locale])))(
    'has complete sample data for %s in %s',
    (key, locale) => {
      const data = sampleEmailData(key, locale) as Record<string, unknown>;
      const root: Field = { kind: 'object', description: key, fields: contractFor(key).variables };
      expect(missing(root, data, key)).toEqual([]);
    },
  );

  it('gives each preview its own copy of the sample', () => {
    const a = sampleEmailData('verification') as { participant: { firstName: string } };
    a.participant.firstName = 'Changed';
    expect(
      (sampleEmailData('verification') as { participant: { firstName: string } }).participant
        .firstName,
    ).toBe('Alex');
  });
});

describe(toPersonVars.name, () => {
  it('fills optional fields with null and custom fields with an empty object', () => {
    expect(toPersonVars({ id: 'p1', email: 'a@x.example' })).toEqual({
      id: 'p1',
      email: 'a@x.example',
      firstName: null,
      lastName: null,
      locale: null,
      country: null,
      customFields: {},
    });
  });
});

describe(toProgramVars.name, () => {
  const program = { id: 'prog', name: 'P', timezone: 'UTC', defaultLocale: 'en' };

  it.each([
    [undefined, true],
    [null, true],
    [{}, true],
    [{ branding: true }, true],
    [{ branding: false }, false],
  ])('with settings %j has branding %p', (settings, branding) => {
    expect(toProgramVars({ ...program, settings }).branding).toBe(branding);
  });
});

describe(toRewardVars.name, () => {
  it('turns decimal strings from the database into numbers', () => {
    expect(
      toRewardVars({
        id: 'r',
        kind: 'cash',
        amount: '25.50',
        currency: 'USD',
        taxableUsd: '25.50',
        createdAt: '2026-01-01T00:00:00Z',
      }),
    ).toMatchObject({
      amount: 25.5,
      taxableUsd: 25.5,
    });
    expect(
      toRewardVars({ id: 'r', kind: 'points', amount: 100, createdAt: '2026-01-01T00:00:00Z' }),
    ).toMatchObject({ currency: null, taxableUsd: 0 });
  });
});

describe(flattenDetails.name, () => {
  it('flattens nested data to dotted rows and joins lists', () => {
    expect(
      flattenDetails({
        orderId: 'A-1',
        total: 9.5,
        paid: true,
        customer: { tier: 'gold', address: { city: 'Lisboa' } },
        items: ['a', 'b'],
        note: null,
        skip: undefined,
      }),
    ).toEqual([
      { name: 'orderId', value: 'A-1' },
      { name: 'total', value: '9.5' },
      { name: 'paid', value: 'true' },
      { name: 'customer.tier', value: 'gold' },
      { name: 'customer.address.city', value: 'Lisboa' },
      { name: 'items', value: 'a, b' },
      { name: 'note', value: '' },
    ]);
  });

  it('cuts long values and stops after 30 rows', () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(500)]),
    );
    const rows = flattenDetails(many);
    expect(rows).toHaveLength(30);
    expect(rows[0].value).toHaveLength(200);
    expect(rows[0].value.endsWith('…')).toBe(true);
  });
});
