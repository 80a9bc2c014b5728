import { REWARD_KINDS } from '../../rewards/reward-kinds';
// The variables contract of every email type: what a template may name, and what the code that
// sends must provide. The validator reads the runtime description; the TypeScript types are
// inferred from the same objects, so the two cannot drift apart.
//
// Optional values are always present, as null (never missing): templates compile in strict mode,
// where naming a missing field is an error but `{{#if x}}` on a null field is fine.

export type ScalarKind = 'string' | 'url' | 'number' | 'boolean' | 'date';

export interface ScalarField {
  readonly kind: ScalarKind;
  readonly description: string;
  readonly nullable?: boolean;
  /** For strings: the only values it takes. */
  readonly values?: readonly string[];
}

export interface ObjectField {
  readonly kind: 'object';
  readonly description: string;
  readonly nullable?: boolean;
  readonly fields: Readonly<Record<string, Field>>;
}

export interface ListField {
  readonly kind: 'list';
  readonly description: string;
  readonly nullable?: boolean;
  readonly of: Field;
}

/** Free-form data (event data, custom fields): any path below it is allowed. */
export interface OpenField {
  readonly kind: 'open';
  readonly description: string;
  readonly nullable?: boolean;
}

export type Field = ScalarField | ObjectField | ListField | OpenField;

/**
 * What an email is to the person who gets it. Transactional emails answer something the person
 * did or must do (a link they asked for, a tax form the law needs) and can never be unsubscribed
 * from; the others are sent to people who may leave them.
 */
export const EMAIL_CATEGORIES = ['transactional', 'rewards', 'marketing'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];

export interface EmailContract {
  readonly description: string;
  readonly category: EmailCategory;
  /**
   * What sends this email when it is not a rule: a rule may not name it, and this says why.
   * Absent for the emails rules send.
   */
  readonly sentBy?: string;
  readonly variables: Readonly<Record<string, Field>>;
}

const scalar = <K extends ScalarKind>(kind: K, description: string) =>
  ({ kind, description }) as const;
const str = (description: string) => scalar('string', description);
const url = (description: string) => scalar('url', description);
const num = (description: string) => scalar('number', description);
const bool = (description: string) => scalar('boolean', description);
const date = (description: string) => scalar('date', description);
const oneOf = <const V extends readonly string[]>(values: V, description: string) =>
  ({ kind: 'string', description, values }) as const;
const open = (description: string) => ({ kind: 'open', description }) as const;
const obj = <const F extends Record<string, Field>>(fields: F, description: string) =>
  ({ kind: 'object', description, fields }) as const;
const list = <const F extends Field>(of: F, description: string) =>
  ({ kind: 'list', description, of }) as const;
const nullable = <const F extends Field>(field: F) => ({ ...field, nullable: true }) as const;

const person = (description: string) =>
  obj(
    {
      id: str("The client's own id for this person."),
      email: str('Email address.'),
      firstName: nullable(str('First name.')),
      lastName: nullable(str('Last name.')),
      locale: nullable(str('Preferred locale, e.g. "es" or "pt-BR".')),
      country: nullable(str('ISO 3166-1 alpha-2 country code.')),
      customFields: open(
        'Custom fields stored for this person; an empty object when there are none.',
      ),
    },
    description,
  );

const PARTICIPANT = person(
  'The participant the event is about (for system emails: the recipient).',
);
const REFERRER = nullable(person('Who referred the participant, when known.'));
const RECIPIENT = person('Who this email is addressed to: the participant or the referrer.');
const RECIPIENT_ROLE = oneOf(['participant', 'referrer'], 'Which of the two the recipient is.');

const PROGRAM = obj(
  {
    id: str('Program id.'),
    name: str('Program name.'),
    fromName: nullable(str('Sender name shown in inboxes.')),
    replyTo: nullable(str('Reply-To address.')),
    timezone: str('IANA time zone; dates are shown in it.'),
    defaultLocale: str('Default locale of the program.'),
    branding: bool('Whether the built-in footer is shown.'),
    postalAddress: nullable(str("The program's postal address (one line), shown in the footer.")),
  },
  'The program sending the email.',
);

const REWARD = obj(
  {
    id: str('Reward id.'),
    kind: oneOf(REWARD_KINDS, 'What kind of reward this is.'),
    amount: num('Amount, in the currency (or in points).'),
    currency: nullable(str('ISO 4217 currency code; null for points.')),
    taxableUsd: num('Taxable amount in USD.'),
    code: nullable(
      str(
        "The code from the reward's code pool; null for a reward without one, or still waiting for one.",
      ),
    ),
    createdAt: date('When the reward was earned.'),
  },
  'The reward.',
);

const EVENT = obj(
  {
    type: str('Event type, e.g. "purchase.completed".'),
    data: open('The data sent with the event; any path under it may be used.'),
    occurredAt: date('When the event happened.'),
    details: list(
      obj(
        { name: str('Field name, dotted for nested data.'), value: str('Value as text.') },
        'One field of the event data.',
      ),
      'The event data flattened to name/value rows, for generic listings.',
    ),
  },
  'The event that triggered the email.',
);

// Every email a participant may leave has it; transactional ones never do (a template of theirs
// naming it is refused at save).
const UNSUBSCRIBE_URL = nullable(
  url(
    "The recipient's unsubscribe and preferences page (the List-Unsubscribe link), filled when the email is sent; null in a test send to an address that is no participant.",
  ),
);

// What every email a rule sends has: the person it goes to, both people of the event, the
// program, and the link that lets the recipient leave.
const RULE_EMAIL_VARIABLES = {
  recipient: RECIPIENT,
  recipientRole: RECIPIENT_ROLE,
  participant: PARTICIPANT,
  referrer: REFERRER,
  program: PROGRAM,
  unsubscribeUrl: UNSUBSCRIBE_URL,
} as const;

const EXPIRES_IN_HOURS = num('How long the link stays valid, in hours.');

export const EMAIL_TYPES = {
  verification: {
    description: 'Asks a participant to confirm their email address.',
    category: 'transactional',
    sentBy: 'POST /v1/public/verification, with a one-time link only that flow creates',
    variables: {
      participant: PARTICIPANT,
      program: PROGRAM,
      verifyUrl: url('Link that confirms the address.'),
      expiresInHours: EXPIRES_IN_HOURS,
    },
  },
  'password-reset': {
    description: 'Lets a participant choose a new password.',
    category: 'transactional',
    sentBy: 'POST /v1/public/password-reset, with a one-time link only that flow creates',
    variables: {
      participant: PARTICIPANT,
      program: PROGRAM,
      resetUrl: url('Link to the page that sets the new password.'),
      expiresInHours: EXPIRES_IN_HOURS,
    },
  },
  'password-changed': {
    description: 'Tells a participant their password was changed, after a reset.',
    category: 'transactional',
    sentBy: 'POST /v1/public/password-reset/confirm, right after the password changes',
    variables: {
      participant: PARTICIPANT,
      program: PROGRAM,
      changedAt: date('When the password was changed.'),
      resetUrl: url('Page where the participant can start a new reset if it was not them.'),
    },
  },
  'w9-required': {
    description: 'Asks for a W-9 once rewards in a calendar year exceed the threshold.',
    category: 'transactional',
    sentBy: 'the W-9 check on every reward, once per participant and year',
    variables: {
      participant: PARTICIPANT,
      program: PROGRAM,
      year: num('The calendar (tax) year.'),
      totalUsd: num("The participant's taxable rewards that year, in USD."),
      thresholdUsd: num('The threshold that was exceeded, in USD.'),
      taxFormUrl: nullable(
        url('Where to submit the tax form (settings.links.taxForm); null while it is not set.'),
      ),
    },
  },
  'payout-reminder': {
    description: 'Reminds a participant that a cash reward waits for tax or banking details.',
    category: 'transactional',
    sentBy: 'the payout reminder schedule of each cash reward',
    variables: {
      participant: PARTICIPANT,
      program: PROGRAM,
      reward: REWARD,
      taxFormMissing: bool('The tax form is not on file.'),
      payoutDetailsMissing: bool('Payout (banking) details are not on file.'),
      taxFormUrl: nullable(
        url('Where to submit the tax form (settings.links.taxForm); null while it is not set.'),
      ),
      payoutUrl: nullable(
        url(
          'Where to add payout details (settings.links.payoutDetails); null while it is not set.',
        ),
      ),
      replyNeeded: bool(
        'Something missing has no page to link to: the email says how to reach the program instead.',
      ),
      reminderNumber: num('1 for the first reminder, 2 for the second, and so on.'),
    },
  },
  'reward-earned': {
    description: 'Tells the recipient about a reward they earned.',
    category: 'rewards',
    variables: { ...RULE_EMAIL_VARIABLES, reward: REWARD, event: nullable(EVENT) },
  },
  'reward-pending': {
    description:
      'Tells the recipient about a reward that waits: a hold, an approval, or a code still to come.',
    category: 'rewards',
    sentBy: 'a reward action whose reward is written pending (hold, approval, empty code pool)',
    variables: {
      ...RULE_EMAIL_VARIABLES,
      reward: REWARD,
      event: nullable(EVENT),
      pendingReason: oneOf(
        ['HOLD', 'AWAITING_APPROVAL', 'CODE_POOL_EMPTY', 'FRAUD_REVIEW'],
        'Why it waits: a hold, a review, no code in the pool yet, or a fraud check held it.',
      ),
      releaseAt: nullable(date('When a held reward becomes available; null for the others.')),
    },
  },
  'reward-denied': {
    description: 'Tells the recipient a pending reward was denied, and why.',
    category: 'rewards',
    sentBy: 'a pending reward that is denied (PATCH /v1/rewards/:id, or a fraud check)',
    variables: {
      ...RULE_EMAIL_VARIABLES,
      reward: REWARD,
      event: nullable(EVENT),
      reasonCode: nullable(
        str(
          'A reason code (e.g. SELF_REFERRAL_SAME_EMAIL) the default templates word in the language of the email.',
        ),
      ),
      reason: nullable(str('The reason in the words of who denied it, when not a code.')),
    },
  },
  'reward-reversed': {
    description: 'Tells the recipient a reward was taken back (a refund, a chargeback).',
    category: 'rewards',
    sentBy: 'a reward that is reversed, or a pending one cancelled by a reversal',
    variables: {
      ...RULE_EMAIL_VARIABLES,
      reward: REWARD,
      event: nullable(EVENT),
      reason: nullable(str('Why, as the rule or the API gave it (e.g. "refund").')),
    },
  },
  'reward-expiring': {
    description: 'Reminds the recipient that an available reward expires soon.',
    category: 'rewards',
    sentBy: "the reward's expiry, expiringEmailBefore ahead of it",
    variables: {
      ...RULE_EMAIL_VARIABLES,
      reward: REWARD,
      event: nullable(EVENT),
      expiresAt: date('When the reward expires.'),
    },
  },
  'program-alert': {
    description: "Tells the program's own people (settings.alertEmail) that something needs them.",
    category: 'transactional',
    sentBy: "the service itself, to the program's settings.alertEmail",
    variables: {
      program: PROGRAM,
      alert: obj(
        {
          kind: oneOf(
            [
              'sender-domain-failing',
              'oauth-reauthorization-required',
              'webhook-endpoint-disabled',
              'code-pool-low-stock',
            ],
            'What happened.',
          ),
          domain: nullable(str('The domain it is about, when there is one.')),
          until: nullable(date('When it takes effect, when it has a deadline.')),
          detail: nullable(
            str(
              'What the service found, in its own words; for oauth-reauthorization-required, the mailbox and its provider; for webhook-endpoint-disabled, the endpoint URL.',
            ),
          ),
        },
        'What needs attention.',
      ),
      consoleUrl: url('The console page where it can be fixed.'),
    },
  },
  generic: {
    description: "A program's own email; also the fallback body for its keys without a template.",
    category: 'marketing',
    variables: { ...RULE_EMAIL_VARIABLES, event: EVENT, reward: nullable(REWARD) },
  },
} as const satisfies Record<string, EmailContract>;

export type EmailTypeKey = keyof typeof EMAIL_TYPES;

export const EMAIL_TYPE_KEYS = Object.keys(EMAIL_TYPES) as EmailTypeKey[];

/** Keys the system sends on its own; `generic` is the contract of a program's own keys. */
export const SYSTEM_EMAIL_KEYS = EMAIL_TYPE_KEYS.filter((k) => k !== 'generic');

export function isEmailTypeKey(key: string): key is EmailTypeKey {
  return Object.prototype.hasOwnProperty.call(EMAIL_TYPES, key);
}

/** The email type a template key renders with: its own, or `generic` for a program's key. */
export function emailTypeOf(key: string): EmailTypeKey {
  return isEmailTypeKey(key) ? key : 'generic';
}

export function contractFor(key: string): EmailContract {
  return EMAIL_TYPES[emailTypeOf(key)];
}

/** The category of a key: its email type's, so a program's own keys are marketing. */
export function emailCategoryOf(key: string): EmailCategory {
  return contractFor(key).category;
}

/** Whether an email of `key` carries the recipient's unsubscribe link (`unsubscribeUrl`). */
export function hasUnsubscribeUrl(key: string): boolean {
  return 'unsubscribeUrl' in contractFor(key).variables;
}

/** Why a rule may not send `key` (what sends it instead), or undefined when a rule may. */
export function sentOnlyBy(key: string): string | undefined {
  return isEmailTypeKey(key) ? (EMAIL_TYPES[key] as EmailContract).sentBy : undefined;
}

/** The system keys a rule may name. */
export const RULE_EMAIL_KEYS = EMAIL_TYPE_KEYS.filter((k) => !sentOnlyBy(k));

type InferBase<F> = F extends { kind: 'string'; values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'string' | 'url' }
    ? string
    : F extends { kind: 'number' }
      ? number
      : F extends { kind: 'boolean' }
        ? boolean
        : F extends { kind: 'date' }
          ? Date | string
          : F extends { kind: 'open' }
            ? Record<string, unknown>
            : F extends { kind: 'list'; of: infer O }
              ? InferField<O>[]
              : F extends { kind: 'object'; fields: infer Fs }
                ? { [K in keyof Fs]: InferField<Fs[K]> }
                : never;

export type InferField<F> = F extends { nullable: true } ? InferBase<F> | null : InferBase<F>;

/** The data a template of this type is rendered with. */
export type EmailData<K extends EmailTypeKey> = {
  [V in keyof (typeof EMAIL_TYPES)[K]['variables']]: InferField<
    (typeof EMAIL_TYPES)[K]['variables'][V]
  >;
};

export type AnyEmailData = { [K in EmailTypeKey]: EmailData<K> }[EmailTypeKey];

export type PersonVars = EmailData<'generic'>['participant'];
export type ProgramVars = EmailData<'generic'>['program'];
export type RewardVars = EmailData<'reward-earned'>['reward'];
export type EventVars = EmailData<'generic'>['event'];

export interface PersonInput {
  id: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  locale?: string | null;
  country?: string | null;
  customFields?: Record<string, unknown> | null;
}

export function toPersonVars(p: PersonInput): PersonVars {
  return {
    id: p.id,
    email: p.email,
    firstName: p.firstName ?? null,
    lastName: p.lastName ?? null,
    locale: p.locale ?? null,
    country: p.country ?? null,
    customFields: p.customFields ?? {},
  };
}

export interface ProgramInput {
  id: string;
  name: string;
  fromName?: string | null;
  replyTo?: string | null;
  timezone: string;
  defaultLocale: string;
  settings?: { branding?: boolean; postalAddress?: string | null } | null;
}

export function toProgramVars(p: ProgramInput): ProgramVars {
  return {
    id: p.id,
    name: p.name,
    fromName: p.fromName ?? null,
    replyTo: p.replyTo ?? null,
    timezone: p.timezone,
    defaultLocale: p.defaultLocale,
    // Branding is on unless the program turned it off.
    branding: p.settings?.branding !== false,
    postalAddress: p.settings?.postalAddress ?? null,
  };
}

export interface RewardInput {
  id: string;
  kind: RewardVars['kind'];
  amount: number | string;
  currency?: string | null;
  taxableUsd?: number | string | null;
  code?: string | null;
  createdAt: Date | string;
}

export function toRewardVars(r: RewardInput): RewardVars {
  return {
    id: r.id,
    kind: r.kind,
    // Decimal columns can come back from the driver as strings.
    amount: Number(r.amount),
    currency: r.currency ?? null,
    taxableUsd: Number(r.taxableUsd ?? 0),
    code: r.code ?? null,
    createdAt: r.createdAt,
  };
}

export interface EventInput {
  type: string;
  data?: Record<string, unknown> | null;
  occurredAt: Date | string;
}

export function toEventVars(e: EventInput): EventVars {
  const data = e.data ?? {};
  return { type: e.type, data, occurredAt: e.occurredAt, details: flattenDetails(data) };
}

const MAX_DETAILS = 30;
const MAX_VALUE_LENGTH = 200;

/** Event data as name/value rows: nested objects as dotted names, lists joined, long text cut. */
export function flattenDetails(data: Record<string, unknown>): { name: string; value: string }[] {
  const rows: { name: string; value: string }[] = [];
  const visit = (prefix: string, value: unknown, depth: number): void => {
    if (rows.length >= MAX_DETAILS || value === undefined) return;
    if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !(value instanceof Date) &&
      depth < 3
    ) {
      for (const [k, v] of Object.entries(value))
        visit(prefix ? `${prefix}.${k}` : k, v, depth + 1);
      return;
    }
    rows.push({ name: prefix, value: cut(asText(value)) });
  };
  visit('', data, 0);
  return rows;
}

function asText(value: unknown): string {
  if (value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value))
    return value
      .map((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)))
      .join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

function cut(text: string): string {
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}
