// Validating a rule's actions: what each sends or gives, to whom, and with which template.

import { centsBelowOrAt, isWholeCents } from '../../common/money/cents';
import { REWARD_KINDS, taxableAsAmount, type RewardKind } from '../../rewards/reward-kinds';
import { isEmailTypeKey, RULE_EMAIL_KEYS, sentOnlyBy } from '../../templates/renderer/email-types';
import { parseDuration } from '../../rewards/states/reward-durations';
import { parseFactPath } from './fact-paths';
import { describe, isPlainObject, truncate } from './json-values';
import {
  ACTION_TYPES,
  DEFAULT_REWARD_TEMPLATE,
  RECIPIENTS,
  RULE_LIMITS,
  type EmailAction,
  REWARD_EMAIL_STATES,
  type RewardAction,
  type ReverseRewardsAction,
  type WebhookAction,
  type RuleAction,
  type RuleProblem,
  type RuleProblemCode,
  type RuleValidationContext,
} from './rule-types';

type Push = (path: string, code: RuleProblemCode, message: string) => void;
type RawAction = Record<string, unknown>;

const EMAIL_ACTION_KEYS = ['type', 'template', 'to', 'sender'];
const REWARD_ACTION_KEYS = [
  'type',
  'to',
  'kind',
  'amount',
  'currency',
  'email',
  'template',
  'taxableUsd',
  'hold',
  'approval',
  'expiresAfter',
  'expiringEmailBefore',
  'ref',
  'emails',
  'codePool',
];
const REVERSE_ACTION_KEYS = ['type', 'ref', 'reason'];
const WEBHOOK_ACTION_KEYS = ['type', 'endpoint', 'event'];
// What a webhook action may call its event: a lower-case dotted name, as the built-in ones are.
const WEBHOOK_EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
// Longer lists of the program's templates are cut, to keep the message readable.
const MAX_LISTED_TEMPLATES = 20;

let currencies: Set<string> | undefined;
function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

/** Adds every problem in `raw` to `problems`; returns the actions, defaults filled in, if none. */
export function checkActions(
  raw: unknown,
  ctx: RuleValidationContext,
  problems: RuleProblem[],
): RuleAction[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({
      path: 'actions',
      code: 'INVALID_ACTION',
      message:
        'actions must be a list with at least one action: {"type": "email", ...} or {"type": "reward", ...}.',
    });
    return undefined;
  }
  if (raw.length > RULE_LIMITS.maxActions) {
    problems.push({
      path: 'actions',
      code: 'LIMIT_EXCEEDED',
      message: `A rule may have at most ${RULE_LIMITS.maxActions} actions, not ${raw.length}.`,
    });
    return undefined;
  }
  const before = problems.length;
  const actions = raw.map((a, i) => checkAction(a, `actions[${i}]`, ctx, problems));
  return problems.length > before ? undefined : (actions as RuleAction[]);
}

function checkAction(
  raw: unknown,
  at: string,
  ctx: RuleValidationContext,
  problems: RuleProblem[],
): RuleAction | undefined {
  const push: Push = (path, code, message) => {
    problems.push({ path, code, message });
  };
  if (!isPlainObject(raw)) {
    push(
      at,
      'INVALID_ACTION',
      `${at} must be an object with "type": "email", "reward" or "reverse-rewards", not ${describe(raw)}.`,
    );
    return undefined;
  }
  if (raw.type === 'reverse-rewards') {
    checkProperties(raw, raw.type, at, push);
    return checkReverseAction(raw, at, push);
  }
  if (raw.type === 'webhook') {
    checkProperties(raw, raw.type, at, push);
    return checkWebhookAction(raw, at, ctx, push);
  }
  if (raw.type !== 'email' && raw.type !== 'reward') {
    push(
      `${at}.type`,
      'INVALID_ACTION',
      `Unknown action type ${JSON.stringify(raw.type ?? null)} at ${at}.type; use one of: ${ACTION_TYPES.join(', ')}.`,
    );
    return undefined;
  }
  checkProperties(raw, raw.type, at, push);
  checkRecipient(raw.to, `${at}.to`, push);
  return raw.type === 'email'
    ? checkEmailAction(raw, at, ctx, push)
    : checkRewardAction(raw, at, ctx, push);
}

function checkProperties(
  raw: RawAction,
  type: 'email' | 'reward' | 'reverse-rewards' | 'webhook',
  at: string,
  push: Push,
): void {
  const allowed =
    type === 'email'
      ? EMAIL_ACTION_KEYS
      : type === 'reward'
        ? REWARD_ACTION_KEYS
        : type === 'webhook'
          ? WEBHOOK_ACTION_KEYS
          : REVERSE_ACTION_KEYS;
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      push(
        `${at}.${key}`,
        'INVALID_ACTION',
        `${at} has an unknown property "${key}"; a ${type} action has only ${allowed.join(', ')}.`,
      );
    }
  }
}

function checkRecipient(to: unknown, at: string, push: Push): void {
  if (typeof to !== 'string' || !(RECIPIENTS as readonly string[]).includes(to)) {
    push(at, 'INVALID_ACTION', `${at} is ${describe(to)}; use one of: ${RECIPIENTS.join(', ')}.`);
  }
}

function checkEmailAction(
  raw: RawAction,
  at: string,
  ctx: RuleValidationContext,
  push: Push,
): EmailAction {
  checkTemplate(raw.template, `${at}.template`, ctx, push);
  if (raw.sender !== undefined) checkSender(raw.sender, `${at}.sender`, ctx, push);
  return { ...raw } as unknown as EmailAction;
}

/** A string of 1 to `max` characters, as sender ids and template keys are. */
const isNameOfLength = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

function checkSender(sender: unknown, at: string, ctx: RuleValidationContext, push: Push): void {
  if (!isNameOfLength(sender, RULE_LIMITS.maxSenderIdLength)) {
    push(
      at,
      'INVALID_ACTION',
      `${at} must be a sender identity id (1 to ${RULE_LIMITS.maxSenderIdLength} characters), not ${describe(sender)}.`,
    );
  } else if (ctx.senderExists && !ctx.senderExists(sender)) {
    push(
      at,
      'UNKNOWN_SENDER',
      `Unknown sender ${JSON.stringify(sender)} at ${at}; add it with PUT /v1/integrations/smtp/senders/${encodeURIComponent(sender)}, or leave sender out to send as the program.`,
    );
  }
}

function checkRewardAction(
  raw: RawAction,
  at: string,
  ctx: RuleValidationContext,
  push: Push,
): RewardAction {
  checkKind(raw.kind, `${at}.kind`, push);
  const amountProblem = checkAmount(raw.amount, raw.kind === 'points', raw.currency === 'USD');
  if (amountProblem) push(`${at}.amount`, 'INVALID_AMOUNT', `${at}.amount ${amountProblem}.`);
  checkCurrency(raw.currency, `${at}.currency`, push);
  const email = checkRewardEmail(raw, at, ctx, push);
  if (raw.taxableUsd !== undefined) checkTaxable(raw, `${at}.taxableUsd`, push);
  checkLifeOptions(raw, at, push);
  if (raw.codePool !== undefined) checkCodePool(raw, at, ctx, push);
  const action = { ...raw } as unknown as RewardAction;
  if (email && action.template === undefined) action.template = DEFAULT_REWARD_TEMPLATE;
  return action;
}

/** hold, approval, expiresAfter, expiringEmailBefore, ref and emails of a reward action. */
function checkLifeOptions(raw: RawAction, at: string, push: Push): void {
  for (const key of ['hold', 'expiresAfter', 'expiringEmailBefore'] as const) {
    if (raw[key] === undefined) continue;
    const parsed = parseDuration(raw[key]);
    if ('error' in parsed) push(`${at}.${key}`, 'INVALID_ACTION', `${at}.${key} ${parsed.error}.`);
  }
  if (raw.approval !== undefined && raw.approval !== 'manual')
    push(
      `${at}.approval`,
      'INVALID_ACTION',
      `${at}.approval must be "manual" (pending until PATCH /v1/rewards/:id), not ${describe(raw.approval)}.`,
    );
  // One reason a reward waits: a hold that ends by itself, or a person's decision.
  if (raw.approval !== undefined && raw.hold !== undefined)
    push(
      `${at}.hold`,
      'INVALID_ACTION',
      `${at} has both hold and approval; use one: a hold releases the reward by itself, approval waits for PATCH /v1/rewards/:id.`,
    );
  if (raw.expiringEmailBefore !== undefined && raw.expiresAfter === undefined)
    push(
      `${at}.expiringEmailBefore`,
      'INVALID_ACTION',
      `${at}.expiringEmailBefore needs expiresAfter: a reward that never expires has no expiry to warn of.`,
    );
  if (raw.ref !== undefined) checkRef(raw.ref, `${at}.ref`, push);
  if (raw.emails !== undefined) {
    const emails = raw.emails;
    const bad = !isPlainObject(emails)
      ? true
      : Object.entries(emails).some(
          ([k, v]) =>
            !(REWARD_EMAIL_STATES as readonly string[]).includes(k) || typeof v !== 'boolean',
        );
    if (bad)
      push(
        `${at}.emails`,
        'INVALID_ACTION',
        `${at}.emails must be an object of true/false by state, with keys among ${REWARD_EMAIL_STATES.join(', ')}, not ${describe(emails)}.`,
      );
    else if (raw.email === false)
      push(
        `${at}.emails`,
        'INVALID_ACTION',
        `${at}.emails is not used with "email": false, which turns every email off; remove one of the two.`,
      );
  }
}

/** `codePool`: one of the program's pools; the code is claimed when the reward is written. */
function checkCodePool(raw: RawAction, at: string, ctx: RuleValidationContext, push: Push): void {
  const pool = raw.codePool;
  if (typeof pool !== 'string' || pool.length === 0 || pool.length > 36) {
    push(
      `${at}.codePool`,
      'INVALID_ACTION',
      `${at}.codePool must be the id of one of the program's code pools (GET /v1/code-pools), not ${describe(pool)}.`,
    );
  } else if (ctx.codePoolExists && !ctx.codePoolExists(pool)) {
    push(
      `${at}.codePool`,
      'CODE_POOL_NOT_FOUND',
      `The program has no code pool ${JSON.stringify(pool)}; create one with POST /v1/code-pools (and add codes with POST /v1/code-pools/:id/codes), or pick one of GET /v1/code-pools.`,
    );
  }
  // The code is claimed as the reward is written; a reward that waits for a hold or a person
  // would hold a code it may never use.
  if (raw.hold !== undefined || raw.approval !== undefined)
    push(
      `${at}.codePool`,
      'INVALID_ACTION',
      `${at} has codePool with ${raw.hold !== undefined ? 'hold' : 'approval'}; a reward takes its code when it is written, so use codePool on a reward without hold or approval.`,
    );
}

function checkRef(ref: unknown, at: string, push: Push): void {
  const parsed = typeof ref === 'string' ? parseFactPath(ref) : null;
  if (!parsed || 'error' in parsed || parsed.segments.length === 0)
    push(
      at,
      'INVALID_PATH',
      `${at} must be a path into the event's data such as "$.orderId"${parsed && 'error' in parsed ? `: ${parsed.error}` : `, not ${describe(ref)}`}.`,
    );
}

function checkWebhookAction(
  raw: RawAction,
  at: string,
  ctx: RuleValidationContext,
  push: Push,
): WebhookAction {
  if (typeof raw.endpoint !== 'string' || raw.endpoint.length === 0 || raw.endpoint.length > 36) {
    push(
      `${at}.endpoint`,
      'INVALID_ACTION',
      `${at}.endpoint must be the id of one of the program's webhook endpoints (GET /v1/webhooks), not ${describe(raw.endpoint)}.`,
    );
  } else if (ctx.webhookExists && !ctx.webhookExists(raw.endpoint)) {
    push(
      `${at}.endpoint`,
      'UNKNOWN_WEBHOOK',
      `The program has no webhook endpoint ${JSON.stringify(raw.endpoint)}; create one with POST /v1/webhooks or pick one of GET /v1/webhooks.`,
    );
  }
  if (
    raw.event !== undefined &&
    (typeof raw.event !== 'string' || raw.event.length > 64 || !WEBHOOK_EVENT_NAME.test(raw.event))
  ) {
    push(
      `${at}.event`,
      'INVALID_ACTION',
      `${at}.event must be a lower-case dotted name of at most 64 characters, such as "order.refunded", not ${describe(raw.event)}.`,
    );
  }
  return {
    type: 'webhook',
    endpoint: raw.endpoint as string,
    ...(raw.event !== undefined ? { event: raw.event as string } : {}),
  };
}

function checkReverseAction(raw: RawAction, at: string, push: Push): ReverseRewardsAction {
  checkRef(raw.ref, `${at}.ref`, push);
  if (
    raw.reason !== undefined &&
    (typeof raw.reason !== 'string' ||
      raw.reason.length === 0 ||
      raw.reason.length > RULE_LIMITS.maxReasonLength)
  )
    push(
      `${at}.reason`,
      'INVALID_ACTION',
      `${at}.reason must be text of 1 to ${RULE_LIMITS.maxReasonLength} characters such as "refund", not ${describe(raw.reason)}.`,
    );
  return { ...raw } as unknown as ReverseRewardsAction;
}

function checkKind(kind: unknown, at: string, push: Push): void {
  if (typeof kind !== 'string' || !(REWARD_KINDS as readonly string[]).includes(kind)) {
    push(
      at,
      'INVALID_ACTION',
      `${at} is ${describe(kind)}; use one of: ${REWARD_KINDS.join(', ')}.`,
    );
  }
}

function checkCurrency(currency: unknown, at: string, push: Push): void {
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    push(
      at,
      'INVALID_CURRENCY',
      `${at} must be an ISO-4217 code of three capital letters such as "USD", "EUR" or "BRL", not ${describe(currency)}.`,
    );
  } else if (!isCurrency(currency)) {
    push(
      at,
      'INVALID_CURRENCY',
      `${at} "${currency}" is not an ISO-4217 currency; use a code such as "USD", "EUR" or "BRL".`,
    );
  }
}

/** Checks `email` and `template`; returns whether the recipient is emailed about the reward. */
function checkRewardEmail(
  raw: RawAction,
  at: string,
  ctx: RuleValidationContext,
  push: Push,
): boolean {
  if (raw.email !== undefined && typeof raw.email !== 'boolean') {
    push(
      `${at}.email`,
      'INVALID_ACTION',
      `${at}.email must be true or false, not ${describe(raw.email)}.`,
    );
  }
  // The recipient is told about a reward unless the rule says "email": false.
  const email = raw.email !== false;
  if (raw.template !== undefined) {
    // A template with email: false would silently send nothing.
    if (!email)
      push(
        `${at}.template`,
        'INVALID_ACTION',
        `${at}.template is not used with "email": false; remove one of the two.`,
      );
    else checkTemplate(raw.template, `${at}.template`, ctx, push);
  }
  return email;
}

function checkTaxable(raw: RawAction, at: string, push: Push): void {
  const t = raw.taxableUsd;
  if (
    typeof t !== 'number' ||
    !Number.isFinite(t) ||
    t < 0 ||
    t > RULE_LIMITS.maxAmount ||
    decimals(t) > 2
  ) {
    push(
      at,
      'INVALID_AMOUNT',
      `${at} must be a USD amount of 0 or more with at most 2 decimals, not ${describe(t)}.`,
    );
  } else if (taxableAsAmount(raw.kind as RewardKind, raw.currency as string) && t !== raw.amount) {
    push(
      at,
      'INVALID_AMOUNT',
      `${at} is always the amount for USD ${String(raw.kind)} rewards; remove taxableUsd.`,
    );
  }
}

// Which keys a rule may name comes from the email registry, so a new system email is refused
// here as soon as it is registered with the flow that sends it.
function checkTemplate(raw: unknown, at: string, ctx: RuleValidationContext, push: Push): void {
  if (!isNameOfLength(raw, RULE_LIMITS.maxTemplateKeyLength)) {
    push(
      at,
      'UNKNOWN_TEMPLATE',
      `${at} must be a template key such as "${DEFAULT_REWARD_TEMPLATE}", not ${describe(raw)}.`,
    );
    return;
  }
  const sentBy = sentOnlyBy(raw);
  if (sentBy) {
    // Not "create it": a program's copy of a system key changes its text, not who sends it.
    push(
      at,
      'RESERVED_TEMPLATE',
      `Template "${raw}" at ${at} cannot be sent by a rule: it is sent only by ${sentBy}. Use "${DEFAULT_REWARD_TEMPLATE}" or one of the program's own templates.`,
    );
    return;
  }
  if ((RULE_EMAIL_KEYS as readonly string[]).includes(raw) || ctx.templateExists(raw)) return;
  push(
    at,
    'UNKNOWN_TEMPLATE',
    `Unknown template ${JSON.stringify(truncate(raw))} at ${at}; use one of: ${templateChoices(ctx)}, or create it first with PUT /v1/templates/${encodeURIComponent(truncate(raw))}/<locale>.`,
  );
}

// The default reward email leads, then the program's own keys, then the other registry keys a
// rule may send: the generic fallback is the least likely to be meant.
function templateChoices(ctx: RuleValidationContext): string {
  const own = (ctx.listTemplates?.() ?? []).filter((k) => !isEmailTypeKey(k));
  const others = RULE_EMAIL_KEYS.filter((k) => k !== DEFAULT_REWARD_TEMPLATE);
  return [
    DEFAULT_REWARD_TEMPLATE,
    ...own.slice(0, MAX_LISTED_TEMPLATES),
    ...(own.length > MAX_LISTED_TEMPLATES ? ['...'] : []),
    ...others,
  ]
    .map((k) => (k === '...' ? k : `"${k}"`))
    .join(', ');
}

function checkAmount(raw: unknown, wholeOnly: boolean, usd: boolean): string | undefined {
  if (typeof raw !== 'number' || !Number.isFinite(raw))
    return `must be a number such as 25 or 12.5, not ${describe(raw)}`;
  if (raw <= 0) return `must be more than 0, not ${raw}`;
  if (raw > RULE_LIMITS.maxAmount) return `must be at most ${RULE_LIMITS.maxAmount}, not ${raw}`;
  if (wholeOnly && !Number.isInteger(raw)) return `for points must be a whole number, not ${raw}`;
  // USD is counted in whole cents (the W-9 totals): a fraction of one would have to be rounded.
  if (usd && !isWholeCents(raw)) {
    const below = centsBelowOrAt(raw);
    return `is in USD and has a fraction of a cent (${raw}); USD amounts have at most 2 decimals: use ${(below / 100).toFixed(2)} or ${((below + 1) / 100).toFixed(2)}`;
  }
  if (decimals(raw) > RULE_LIMITS.maxAmountDecimals) {
    return `has more than ${RULE_LIMITS.maxAmountDecimals} decimals (${raw})`;
  }
  return undefined;
}

// The shortest round-trip form of a double is what was written in the JSON, so counting its
// digits after the point is exact for any amount in range.
function decimals(n: number): number {
  const s = String(n);
  const exp = /e-(\d+)$/.exec(s);
  if (exp) return Number(exp[1]) + (s.split('e')[0].split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}
