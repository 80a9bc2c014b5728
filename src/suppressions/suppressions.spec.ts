import { Suppression } from './suppression.entity';
import { defaultScopeOf, suppressedMessage, suppressionApplies } from './suppressions.service';

const suppression = (fields: Partial<Suppression>): Suppression =>
  Object.assign(new Suppression(), {
    programId: 'p-1',
    emailLower: 'ana@example.com',
    reason: 'manual',
    code: null,
    detail: '',
    messageId: null,
    scope: 'all',
    createdAt: new Date(0),
    ...fields,
  });

describe('suppression scopes', () => {
  it('gives a complaint the non-transactional scope and every other reason all', () => {
    expect(defaultScopeOf('complaint')).toBe('non-transactional');
    for (const reason of ['hard_bounce', 'manual', 'rejected'] as const)
      expect(defaultScopeOf(reason)).toBe('all');
  });

  it.each([
    ['all', 'transactional', true],
    ['all', 'marketing', true],
    ['non-transactional', 'transactional', false],
    ['non-transactional', 'rewards', true],
    ['non-transactional', 'marketing', true],
    ['non-transactional', undefined, true],
  ] as const)('a %s suppression holds back a %s message: %s', (scope, category, held) => {
    expect(suppressionApplies(suppression({ scope }), category)).toBe(held);
  });
});

describe('suppressedMessage', () => {
  it('says why and how to send again', () => {
    const text = suppressedMessage(
      suppression({ reason: 'rejected', code: 'SMTP_RECIPIENT_UNKNOWN', detail: '550 5.1.1' }),
    );
    expect(text).toBe(
      'Not sent: ana@example.com is suppressed because the receiving server refused it ' +
        '(SMTP_RECIPIENT_UNKNOWN: 550 5.1.1). Lift the suppression (DELETE /v1/suppressions/:email ' +
        'or the console) to send to it again.',
    );
    expect(suppressedMessage(suppression({}))).toContain('because it was suppressed by hand. ');
  });
});
