import {
  contractFor,
  emailTypeOf,
  hasUnsubscribeUrl,
  type Field,
  toEventVars,
  toPersonVars,
  type AnyEmailData,
  type EmailData,
  type EmailTypeKey,
  type PersonVars,
  type ProgramVars,
  type RewardVars,
} from './email-types';

// Sample data for previews and golden tests: fixed values (no clock, no randomness), with
// names that fit the language of the preview.

interface SamplePeople {
  participant: PersonVars;
  referrer: PersonVars;
}

const PEOPLE: Readonly<Record<string, SamplePeople>> = {
  en: {
    participant: toPersonVars({
      id: 'p_1001',
      email: 'alex.carter@example.com',
      firstName: 'Alex',
      lastName: 'Carter',
      locale: 'en',
      country: 'US',
      customFields: { tier: 'gold' },
    }),
    referrer: toPersonVars({
      id: 'p_1000',
      email: 'jordan.lee@example.com',
      firstName: 'Jordan',
      lastName: 'Lee',
      locale: 'en',
      country: 'US',
    }),
  },
  es: {
    participant: toPersonVars({
      id: 'p_1001',
      email: 'lucia.romero@example.com',
      firstName: 'Lucía',
      lastName: 'Romero',
      locale: 'es',
      country: 'MX',
      customFields: { tier: 'gold' },
    }),
    referrer: toPersonVars({
      id: 'p_1000',
      email: 'mateo.ortiz@example.com',
      firstName: 'Mateo',
      lastName: 'Ortiz',
      locale: 'es',
      country: 'MX',
    }),
  },
  pt: {
    participant: toPersonVars({
      id: 'p_1001',
      email: 'ana.souza@example.com',
      firstName: 'Ana',
      lastName: 'Souza',
      locale: 'pt-BR',
      country: 'BR',
      customFields: { tier: 'gold' },
    }),
    referrer: toPersonVars({
      id: 'p_1000',
      email: 'rafael.lima@example.com',
      firstName: 'Rafael',
      lastName: 'Lima',
      locale: 'pt-BR',
      country: 'BR',
    }),
  },
};

export const SAMPLE_PROGRAM: ProgramVars = {
  id: 'prog_sample',
  name: 'Brightside Rewards',
  fromName: 'Brightside',
  replyTo: 'help@brightside.example',
  timezone: 'America/New_York',
  defaultLocale: 'en',
  branding: true,
  postalAddress: null,
};

const REWARD: RewardVars = {
  id: 'rwd_2001',
  kind: 'cash',
  amount: 25,
  currency: 'USD',
  taxableUsd: 25,
  code: null,
  createdAt: '2026-03-14T15:30:00.000Z',
};

const EVENT = toEventVars({
  type: 'purchase.completed',
  data: { orderId: 'A-1042', total: 89.9, currency: 'USD', items: ['Backpack', 'Water bottle'] },
  occurredAt: '2026-03-14T15:25:00.000Z',
});

const BASE_URL = 'https://rewards.brightside.example';

/** What a preview shows for `unsubscribeUrl`: a send fills in the recipient's own link. */
export const SAMPLE_UNSUBSCRIBE_URL = `${BASE_URL}/p/unsubscribe/sample-unsubscribe-token`;

// Every email that has the unsubscribe link gets the same sample one (added in sampleEmailData).
type SampleOf<T extends EmailTypeKey> = Omit<EmailData<T>, 'unsubscribeUrl'>;

function peopleFor(locale: string): SamplePeople {
  return PEOPLE[locale.split('-')[0]] ?? PEOPLE.en;
}

function sample(key: EmailTypeKey, locale: string): SampleOf<EmailTypeKey> {
  const { participant, referrer } = peopleFor(locale);
  const program = SAMPLE_PROGRAM;
  // The fields every reward email has; the samples show the referrer's email.
  const rewardEmail = {
    recipient: referrer,
    recipientRole: 'referrer' as const,
    participant,
    referrer,
    program,
    reward: REWARD,
    event: EVENT,
  };
  const all: { [T in EmailTypeKey]: SampleOf<T> } = {
    verification: {
      participant,
      program,
      verifyUrl: `${BASE_URL}/verify?token=sample-verification-token`,
      expiresInHours: 24,
    },
    'password-reset': {
      participant,
      program,
      resetUrl: `${BASE_URL}/reset-password?token=sample-reset-token`,
      expiresInHours: 1,
    },
    'password-changed': {
      participant,
      program,
      changedAt: '2026-03-14T15:30:00.000Z',
      resetUrl: `${BASE_URL}/forgot-password`,
    },
    'w9-required': {
      participant,
      program,
      year: 2026,
      totalUsd: 625,
      thresholdUsd: 599,
      taxFormUrl: `${BASE_URL}/tax-form`,
    },
    'payout-reminder': {
      participant,
      program,
      reward: REWARD,
      taxFormMissing: true,
      payoutDetailsMissing: true,
      taxFormUrl: `${BASE_URL}/tax-form`,
      payoutUrl: `${BASE_URL}/payout-details`,
      replyNeeded: false,
      reminderNumber: 1,
    },
    'reward-earned': rewardEmail,
    'reward-pending': {
      ...rewardEmail,
      pendingReason: 'HOLD',
      releaseAt: '2026-04-13T15:30:00.000Z',
    },
    'reward-denied': {
      ...rewardEmail,
      reasonCode: 'SELF_REFERRAL_SAME_EMAIL',
      reason: null,
    },
    'reward-reversed': {
      ...rewardEmail,
      reason: 'refund',
    },
    'reward-expiring': {
      ...rewardEmail,
      expiresAt: '2026-06-12T15:30:00.000Z',
    },
    'program-alert': {
      program,
      alert: {
        kind: 'sender-domain-failing',
        domain: 'mail.brightside.example',
        until: '2026-03-17T15:30:00.000Z',
        detail: 'The SPF record no longer includes spf.notify.example.',
      },
      consoleUrl: `${BASE_URL}/console/integrations`,
    },
    generic: {
      recipient: participant,
      recipientRole: 'participant',
      participant,
      referrer,
      program,
      event: EVENT,
      reward: REWARD,
    },
  };
  return all[key];
}

/** Sample variables for a template key (a program's own key gets the `generic` sample). */
export function sampleEmailData<K extends EmailTypeKey>(key: K, locale?: string): EmailData<K>;
export function sampleEmailData(key: string, locale?: string): AnyEmailData;
export function sampleEmailData(key: string, locale = 'en'): AnyEmailData {
  // A deep copy, so a caller that fills in real values never changes the next preview.
  const data = structuredClone(sample(emailTypeOf(key), locale)) as Record<string, unknown>;
  if (hasUnsubscribeUrl(key)) data.unsubscribeUrl = SAMPLE_UNSUBSCRIBE_URL;
  return data as unknown as AnyEmailData;
}

/**
 * The same sample with every optional variable empty (null), as a participant who gave no name
 * and an event without a referrer would have it: what a template shows when nothing optional is
 * there.
 */
export function withOptionalEmpty(key: string, data: AnyEmailData): AnyEmailData {
  const out = structuredClone(data) as unknown as Record<string, unknown>;
  emptyOptional(contractFor(key).variables, out);
  return out as unknown as AnyEmailData;
}

function emptyOptional(
  fields: Readonly<Record<string, Field>>,
  value: Record<string, unknown>,
): void {
  for (const [name, field] of Object.entries(fields)) {
    if (!(name in value)) continue;
    if (field.nullable) value[name] = null;
    else if (field.kind === 'object' && value[name] && typeof value[name] === 'object')
      emptyOptional(field.fields, value[name] as Record<string, unknown>);
    else if (field.kind === 'list' && field.of.kind === 'object' && Array.isArray(value[name]))
      for (const item of value[name] as unknown[])
        if (item && typeof item === 'object')
          emptyOptional(field.of.fields, item as Record<string, unknown>);
  }
}
