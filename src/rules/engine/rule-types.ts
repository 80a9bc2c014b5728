/**
 * The shapes of rule definitions as marketers write them, and of the problems found in them.
 *
 * Conditions use the json-rules-engine form (`{ all | any: [...] }`, `{ not: {...} }`, leaves
 * `{ fact, path?, operator, value }`); a validated copy has every path as a simple JSONPath
 * (`$.address.country`, `$.items[0]`, `$['first name']`).
 */

import type { RewardKind } from '../../rewards/reward-kinds';
import type { EmailTypeKey } from '../../templates/renderer/email-types';

export const RULE_FACTS = ['event', 'participant', 'referrer', 'program'] as const;
export type RuleFact = (typeof RULE_FACTS)[number];

export const BUILT_IN_OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;

// startsWith / endsWith cover the common "email ends with @acme.com" case without regular
// expressions (a marketer's regex could backtrack for seconds); exists is the only way to test
// for a missing referrer, because notEqual null is true for a value that is not there at all.
export const CUSTOM_OPERATORS = ['startsWith', 'endsWith', 'exists'] as const;

export const RULE_OPERATORS = [...BUILT_IN_OPERATORS, ...CUSTOM_OPERATORS] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

export type ConditionScalar = string | number | boolean | null;
export type ConditionValue = ConditionScalar | ConditionScalar[];

export interface LeafCondition {
  fact: RuleFact;
  /** Simple JSONPath into the fact, e.g. `$.address.country`; absent means the whole fact. */
  path?: string;
  operator: RuleOperator;
  value: ConditionValue;
}

export interface AllConditions {
  all: RuleCondition[];
}
export interface AnyConditions {
  any: RuleCondition[];
}
export interface NotCondition {
  not: RuleCondition;
}

export type BooleanCondition = AllConditions | AnyConditions | NotCondition;
export type RuleCondition = LeafCondition | BooleanCondition;
/** The root of a rule's conditions is always a boolean block, as json-rules-engine requires. */
export type RuleConditions = BooleanCondition;

export const RECIPIENTS = ['participant', 'referrer'] as const;
export type Recipient = (typeof RECIPIENTS)[number];

export const ACTION_TYPES = ['email', 'reward', 'reverse-rewards', 'webhook'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export interface EmailAction {
  type: 'email';
  template: string;
  to: Recipient;
  sender?: string;
}

export interface RewardAction {
  type: 'reward';
  to: Recipient;
  kind: RewardKind;
  amount: number;
  currency: string;
  /** Unless false, the recipient gets `template` (default `reward-earned`) about the reward. */
  email?: boolean;
  template?: string;
  /** For rewards that are not USD cash or gift cards: the USD amount that counts toward the W-9 total. */
  taxableUsd?: number;
  /** ISO 8601 duration: the reward is pending that long, then available unless reversed or denied. */
  hold?: string;
  /** "manual": pending until PATCH /v1/rewards/:id makes it available or denied. */
  approval?: 'manual';
  /** ISO 8601 duration from becoming available to `expired`. */
  expiresAfter?: string;
  /** ISO 8601 duration: the reward-expiring email goes out this long before the expiry. */
  expiringEmailBefore?: string;
  /** A simple JSONPath into the event's data (e.g. `$.orderId`): kept on the reward as its reference. */
  ref?: string;
  /** Turns off single emails of the reward's life; all are on unless `email` is false. */
  emails?: Partial<Record<RewardEmailState, boolean>>;
  /** The id of one of the program's code pools: the reward takes one code from it. */
  codePool?: string;
}

/** The reward emails a rule can turn off one by one. */
export const REWARD_EMAIL_STATES = ['pending', 'earned', 'denied', 'reversed', 'expiring'] as const;
export type RewardEmailState = (typeof REWARD_EMAIL_STATES)[number];

/** Reverses (or, while pending, cancels) the program's rewards whose reference is `ref`'s value. */
export interface ReverseRewardsAction {
  type: 'reverse-rewards';
  /** A simple JSONPath into the event's data, e.g. `$.orderId`. */
  ref: string;
  /** Kept in each reward's history and shown in the reward-reversed email; default "refund". */
  reason?: string;
}

/** Sends the program's webhook endpoint the event and its facts, signed like every webhook. */
export interface WebhookAction {
  type: 'webhook';
  /** The id of one of the program's webhook endpoints. */
  endpoint: string;
  /** The event name the receiver sees; default `rule.matched`. */
  event?: string;
}

export type RuleAction = EmailAction | RewardAction | ReverseRewardsAction | WebhookAction;

export interface RuleDefinition {
  name: string;
  event: string;
  /** Absent: the rule matches every event of its type. */
  conditions?: RuleConditions;
  actions: RuleAction[];
  enabled: boolean;
  priority: number;
}

// Typed against the email registry so a renamed key fails to compile here.
export const DEFAULT_REWARD_TEMPLATE = 'reward-earned' satisfies EmailTypeKey;

export const RULE_LIMITS = {
  /** Boolean blocks inside each other, the root block counting as 1. */
  maxDepth: 6,
  /** Leaf conditions in one rule. */
  maxConditions: 50,
  maxListItems: 200,
  maxStringLength: 500,
  maxPathLength: 200,
  maxPathSegments: 10,
  maxActions: 20,
  maxAmount: 1_000_000_000,
  maxAmountDecimals: 4,
  maxNameLength: 200,
  maxEventLength: 100,
  maxTemplateKeyLength: 100,
  maxSenderIdLength: 100,
  maxPriority: 1_000_000,
  maxReasonLength: 200,
} as const;

export type RuleProblemCode =
  | 'INVALID_FIELD'
  | 'INVALID_CONDITION'
  | 'UNKNOWN_OPERATOR'
  | 'UNKNOWN_FACT'
  | 'INVALID_PATH'
  | 'INVALID_VALUE'
  | 'LIMIT_EXCEEDED'
  | 'INVALID_ACTION'
  | 'UNKNOWN_TEMPLATE'
  | 'RESERVED_TEMPLATE'
  | 'UNKNOWN_SENDER'
  | 'UNKNOWN_WEBHOOK'
  | 'CODE_POOL_NOT_FOUND'
  | 'INVALID_AMOUNT'
  | 'INVALID_CURRENCY';

export interface RuleProblem {
  /** Where in the definition, e.g. `conditions.all[1].operator` or `actions[0].template`. */
  path: string;
  code: RuleProblemCode;
  message: string;
}

export interface RuleValidationContext {
  /** Whether the program has a template with this key (its own, or a default). */
  templateExists: (key: string) => boolean;
  /** The program's own template keys, listed in the message for an unknown template. */
  listTemplates?: () => readonly string[];
  /** Whether the program has this sender identity; without it, sender ids are not checked. */
  senderExists?: (senderId: string) => boolean;
  /** Whether the program has this webhook endpoint; without it, endpoint ids are not checked. */
  webhookExists?: (endpointId: string) => boolean;
  /** Whether the program has this code pool; without it, pool ids are not checked. */
  codePoolExists?: (poolId: string) => boolean;
}

export type RuleParseResult =
  { ok: true; definition: RuleDefinition; problems: [] } | { ok: false; problems: RuleProblem[] };
