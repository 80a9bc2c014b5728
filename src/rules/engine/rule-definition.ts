/**
 * Rule definitions as marketers write them, and their validation.
 *
 * Conditions use the json-rules-engine form (`{ all | any: [...] }`, `{ not: {...} }`, leaves
 * `{ fact, path?, operator, value }`); the validator also returns a normalised copy in which
 * every path is a simple JSONPath (`$.address.country`, `$.items[0]`, `$['first name']`).
 */

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

export const REWARD_KINDS = ['cash', 'credit', 'discount', 'gift_card', 'points'] as const;
export type RewardKind = (typeof REWARD_KINDS)[number];

export const ACTION_TYPES = ['email', 'reward'] as const;
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
}

export type RuleAction = EmailAction | RewardAction;

export interface RuleDefinition {
  name: string;
  event: string;
  /** Absent: the rule matches every event of its type. */
  conditions?: RuleConditions;
  actions: RuleAction[];
  enabled: boolean;
  priority: number;
}

export const SYSTEM_TEMPLATE_KEYS = [
  'verification',
  'password-reset',
  'w9-required',
  'payout-reminder',
  'reward-earned',
] as const;

export const DEFAULT_REWARD_TEMPLATE = 'reward-earned';

// Only reward-earned makes sense from a rule. Verification and password-reset need a token
// that only their own flows create; w9-required and payout-reminder are sent by the finance
// triggers exactly once or on a schedule, and a rule sending them would double them.
export const RULE_SYSTEM_TEMPLATE_KEYS: readonly string[] = [DEFAULT_REWARD_TEMPLATE];
const RESERVED_TEMPLATE_KEYS: readonly string[] = SYSTEM_TEMPLATE_KEYS.filter(
  (k) => !RULE_SYSTEM_TEMPLATE_KEYS.includes(k),
);

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
}

export type RuleParseResult =
  { ok: true; definition: RuleDefinition; problems: [] } | { ok: false; problems: RuleProblem[] };

/** Every problem in a rule definition; an empty list means it can be saved. */
export function validateRuleDefinition(def: unknown, ctx: RuleValidationContext): RuleProblem[] {
  return parseRuleDefinition(def, ctx).problems;
}

/** Validates and, when valid, returns the definition with paths normalised and defaults filled in. */
export function parseRuleDefinition(def: unknown, ctx: RuleValidationContext): RuleParseResult {
  const problems: RuleProblem[] = [];
  if (!isPlainObject(def)) {
    problems.push({ path: '', code: 'INVALID_FIELD', message: 'A rule must be a JSON object.' });
    return { ok: false, problems };
  }
  const name = checkText(def.name, 'name', RULE_LIMITS.maxNameLength, problems);
  const event = checkText(def.event, 'event', RULE_LIMITS.maxEventLength, problems);
  let enabled = true;
  if (def.enabled !== undefined) {
    if (typeof def.enabled === 'boolean') enabled = def.enabled;
    else
      problems.push({
        path: 'enabled',
        code: 'INVALID_FIELD',
        message: 'enabled must be true or false.',
      });
  }
  let priority = 0;
  if (def.priority !== undefined) {
    const p = def.priority;
    if (typeof p === 'number' && Number.isInteger(p) && Math.abs(p) <= RULE_LIMITS.maxPriority)
      priority = p;
    else
      problems.push({
        path: 'priority',
        code: 'INVALID_FIELD',
        message: `priority must be a whole number from -${RULE_LIMITS.maxPriority} to ${RULE_LIMITS.maxPriority}; higher runs first.`,
      });
  }
  const conditions =
    def.conditions == null ? undefined : collectConditions(def.conditions, problems);
  const actions = checkActions(def.actions, ctx, problems);

  if (problems.length > 0) return { ok: false, problems };
  const definition: RuleDefinition = {
    name: name!,
    event: event!,
    actions: actions!,
    enabled,
    priority,
  };
  if (conditions) definition.conditions = conditions;
  return { ok: true, definition, problems: [] };
}

/**
 * Validates conditions on their own and returns them normalised. `undefined` conditions (and a
 * root `{ "all": [] }`) mean "always matches".
 */
export function parseConditions(
  conditions: unknown,
): { ok: true; conditions: RuleConditions | undefined } | { ok: false; problems: RuleProblem[] } {
  if (conditions == null) return { ok: true, conditions: undefined };
  const problems: RuleProblem[] = [];
  const normalised = collectConditions(conditions, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, conditions: normalised };
}

function collectConditions(raw: unknown, problems: RuleProblem[]): RuleConditions | undefined {
  if (!isPlainObject(raw) || !BOOLEAN_KEYS.some((k) => k in raw)) {
    problems.push({
      path: 'conditions',
      code: 'INVALID_CONDITION',
      message:
        'conditions must be an object with "all", "any" or "not" at the top, e.g. {"all": [{"fact": "event", "path": "amount", "operator": "greaterThanInclusive", "value": 50}]}.',
    });
    return undefined;
  }
  // An empty root "all" is how a form says "no conditions"; an empty "any" would also match
  // everything in json-rules-engine, which nobody means, so it is refused below.
  if (Object.keys(raw).length === 1 && Array.isArray(raw.all) && raw.all.length === 0)
    return undefined;
  const walker = new ConditionWalker(problems);
  const node = walker.walk(raw, 'conditions', 1);
  return node as RuleConditions | undefined;
}

const BOOLEAN_KEYS = ['all', 'any', 'not'] as const;
const LEAF_KEYS = ['fact', 'path', 'operator', 'value'];

class ConditionWalker {
  private leaves = 0;
  private tooMany = false;

  constructor(private readonly problems: RuleProblem[]) {}

  walk(raw: unknown, at: string, depth: number): RuleCondition | undefined {
    if (!isPlainObject(raw)) {
      this.problem(
        at,
        'INVALID_CONDITION',
        `${at} must be an object: a condition {"fact", "path", "operator", "value"} or a block {"all"|"any": [...]} / {"not": {...}}.`,
      );
      return undefined;
    }
    const blockKeys = BOOLEAN_KEYS.filter((k) => k in raw);
    if (blockKeys.length > 0) return this.walkBlock(raw, blockKeys, at, depth);
    return this.walkLeaf(raw, at);
  }

  private walkBlock(
    raw: Record<string, unknown>,
    blockKeys: (typeof BOOLEAN_KEYS)[number][],
    at: string,
    depth: number,
  ): RuleCondition | undefined {
    const keys = Object.keys(raw);
    if (blockKeys.length > 1 || keys.length > 1) {
      this.problem(
        at,
        'INVALID_CONDITION',
        `${at} mixes ${keys.map((k) => `"${k}"`).join(', ')}; a block has exactly one of "all", "any" or "not" and nothing else.`,
      );
      return undefined;
    }
    if (depth > RULE_LIMITS.maxDepth) {
      this.problem(
        at,
        'LIMIT_EXCEEDED',
        `${at} nests blocks ${depth} deep; at most ${RULE_LIMITS.maxDepth} levels of all/any/not are allowed.`,
      );
      return undefined;
    }
    const kind = blockKeys[0];
    const inner = raw[kind];
    if (kind === 'not') {
      if (!isPlainObject(inner)) {
        this.problem(
          `${at}.not`,
          'INVALID_CONDITION',
          `${at}.not must be one condition or block (an object), not ${describe(inner)}.`,
        );
        return undefined;
      }
      const child = this.walk(inner, `${at}.not`, depth + 1);
      return child && { not: child };
    }
    if (!Array.isArray(inner)) {
      this.problem(
        `${at}.${kind}`,
        'INVALID_CONDITION',
        `${at}.${kind} must be a list of conditions, not ${describe(inner)}.`,
      );
      return undefined;
    }
    if (inner.length === 0) {
      this.problem(
        `${at}.${kind}`,
        'INVALID_CONDITION',
        `${at}.${kind} is empty; give it at least one condition, or leave conditions out to match every event.`,
      );
      return undefined;
    }
    const children: RuleCondition[] = [];
    for (let i = 0; i < inner.length && !this.tooMany; i++) {
      const child = this.walk(inner[i], `${at}.${kind}[${i}]`, depth + 1);
      if (child) children.push(child);
    }
    return kind === 'all' ? { all: children } : { any: children };
  }

  private walkLeaf(raw: Record<string, unknown>, at: string): LeafCondition | undefined {
    this.leaves++;
    if (this.leaves > RULE_LIMITS.maxConditions) {
      if (!this.tooMany) {
        this.tooMany = true;
        this.problem(
          at,
          'LIMIT_EXCEEDED',
          `A rule may have at most ${RULE_LIMITS.maxConditions} conditions; ${at} is one too many.`,
        );
      }
      return undefined;
    }
    const before = this.problems.length;
    for (const key of Object.keys(raw)) {
      if (!LEAF_KEYS.includes(key)) {
        this.problem(
          `${at}.${key}`,
          'INVALID_CONDITION',
          `${at} has an unknown property "${key}"; a condition has only fact, path, operator and value.`,
        );
      }
    }
    const fact = this.checkFact(raw.fact, `${at}.fact`);
    const path = this.checkPath(raw.path, `${at}.path`);
    const operator = this.checkOperator(raw.operator, `${at}.operator`);
    if (!('value' in raw)) {
      this.problem(
        `${at}.value`,
        'INVALID_VALUE',
        `${at} needs a "value" to compare with${operator ? ` (${VALUE_SHAPES[operator]})` : ''}.`,
      );
    } else if (operator) {
      this.checkValue(operator, raw.value, `${at}.value`);
    }
    if (this.problems.length > before || !fact || !operator) return undefined;
    const leaf: LeafCondition = { fact, operator, value: raw.value as ConditionValue };
    if (path) leaf.path = path;
    return leaf;
  }

  private checkFact(raw: unknown, at: string): RuleFact | undefined {
    if (typeof raw === 'string' && (RULE_FACTS as readonly string[]).includes(raw))
      return raw as RuleFact;
    if (raw === undefined) {
      this.problem(at, 'UNKNOWN_FACT', `${at} is missing; use one of: ${RULE_FACTS.join(', ')}.`);
      return undefined;
    }
    this.problem(
      at,
      'UNKNOWN_FACT',
      `Unknown fact ${JSON.stringify(raw)} at ${at}; use one of: ${RULE_FACTS.join(', ')}.${factHint(raw)}`,
    );
    return undefined;
  }

  private checkPath(raw: unknown, at: string): string | undefined {
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') {
      this.problem(
        at,
        'INVALID_PATH',
        `${at} must be a string such as "amount", "address.country" or "$.items[0].sku", not ${describe(raw)}.`,
      );
      return undefined;
    }
    const parsed = parseFactPath(raw);
    if ('error' in parsed) {
      this.problem(
        at,
        'INVALID_PATH',
        `Path ${JSON.stringify(truncate(raw))} at ${at} is not a simple path: ${parsed.error}. Use dotted names and [index], e.g. "address.country" or "items[0].sku".`,
      );
      return undefined;
    }
    return formatFactPath(parsed.segments);
  }

  private checkOperator(raw: unknown, at: string): RuleOperator | undefined {
    if (typeof raw === 'string' && (RULE_OPERATORS as readonly string[]).includes(raw))
      return raw as RuleOperator;
    if (raw === undefined) {
      this.problem(
        at,
        'UNKNOWN_OPERATOR',
        `${at} is missing; use one of: ${RULE_OPERATORS.join(', ')}.`,
      );
      return undefined;
    }
    const suggestion = typeof raw === 'string' ? suggestOperator(raw) : undefined;
    this.problem(
      at,
      'UNKNOWN_OPERATOR',
      `Unknown operator ${JSON.stringify(typeof raw === 'string' ? truncate(raw) : raw)} at ${at}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; use one of: ${RULE_OPERATORS.join(', ')}.`,
    );
    return undefined;
  }

  private checkValue(operator: RuleOperator, value: unknown, at: string): void {
    const wrong = (): void =>
      this.problem(
        at,
        'INVALID_VALUE',
        `${at} for "${operator}" must be ${VALUE_SHAPES[operator]}, not ${describe(value)}.`,
      );
    switch (operator) {
      case 'equal':
      case 'notEqual':
      case 'contains':
      case 'doesNotContain':
        if (!isScalar(value)) return wrong();
        return this.checkString(value, at);
      case 'lessThan':
      case 'lessThanInclusive':
      case 'greaterThan':
      case 'greaterThanInclusive':
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrong();
        return;
      case 'in':
      case 'notIn':
        if (!Array.isArray(value) || !value.every(isScalar)) return wrong();
        if (value.length > RULE_LIMITS.maxListItems) {
          return this.problem(
            at,
            'LIMIT_EXCEEDED',
            `${at} lists ${value.length} values; at most ${RULE_LIMITS.maxListItems} are allowed.`,
          );
        }
        value.forEach((v, i) => this.checkString(v, `${at}[${i}]`));
        return;
      case 'startsWith':
      case 'endsWith':
        if (typeof value !== 'string' || value.length === 0) return wrong();
        return this.checkString(value, at);
      case 'exists':
        if (typeof value !== 'boolean') return wrong();
        return;
    }
  }

  private checkString(value: unknown, at: string): void {
    if (typeof value === 'string' && value.length > RULE_LIMITS.maxStringLength) {
      this.problem(
        at,
        'LIMIT_EXCEEDED',
        `${at} is ${value.length} characters long; at most ${RULE_LIMITS.maxStringLength} are allowed.`,
      );
    }
  }

  private problem(path: string, code: RuleProblemCode, message: string): void {
    this.problems.push({ path, code, message });
  }
}

const VALUE_SHAPES: Record<RuleOperator, string> = {
  equal: 'a string, number, true, false or null (compared exactly: "30" is not 30)',
  notEqual: 'a string, number, true, false or null (compared exactly: "30" is not 30)',
  lessThan: 'a number',
  lessThanInclusive: 'a number',
  greaterThan: 'a number',
  greaterThanInclusive: 'a number',
  in: 'a list of strings, numbers, true, false or null',
  notIn: 'a list of strings, numbers, true, false or null',
  contains: 'a string, number, true, false or null that the list in the fact should hold',
  doesNotContain: 'a string, number, true, false or null that the list in the fact should not hold',
  startsWith: 'a non-empty string',
  endsWith: 'a non-empty string',
  exists: 'true (the value is there) or false (it is missing or null)',
};

const OPERATOR_ALIASES: Record<string, RuleOperator> = {
  '=': 'equal',
  '==': 'equal',
  '===': 'equal',
  eq: 'equal',
  equals: 'equal',
  is: 'equal',
  '!=': 'notEqual',
  '!==': 'notEqual',
  '<>': 'notEqual',
  ne: 'notEqual',
  neq: 'notEqual',
  notequals: 'notEqual',
  '<': 'lessThan',
  lt: 'lessThan',
  '<=': 'lessThanInclusive',
  lte: 'lessThanInclusive',
  '>': 'greaterThan',
  gt: 'greaterThan',
  '>=': 'greaterThanInclusive',
  gte: 'greaterThanInclusive',
  nin: 'notIn',
  notcontains: 'doesNotContain',
  includes: 'contains',
};

function suggestOperator(raw: string): RuleOperator | undefined {
  const lower = raw.trim().toLowerCase();
  return OPERATOR_ALIASES[lower] ?? RULE_OPERATORS.find((op) => op.toLowerCase() === lower);
}

// "participant.country" as a fact is the most likely slip; say how to write it.
function factHint(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) return '';
  const dot = raw.indexOf('.');
  const head = dot > 0 ? raw.slice(0, dot) : raw;
  if ((RULE_FACTS as readonly string[]).includes(head) && dot > 0) {
    return ` Write it as {"fact": "${head}", "path": "${truncate(raw.slice(dot + 1))}"}.`;
  }
  const path = head === 'data' && dot > 0 ? raw.slice(dot + 1) : raw;
  return ` Event data is the "event" fact: {"fact": "event", "path": "${truncate(path)}"}.`;
}

export type PathSegment = string | number;

const DOTTED_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INDEX = /^(0|[1-9][0-9]{0,5})$/;
// Reading these would walk into the object's prototype instead of the data.
const FORBIDDEN_NAMES = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Parses a simple path: JSONPath (`$.a.b`, `$.items[0]`, `$['first name']`) or plain dotted
 * (`a.b`, `items.0`, `items[0].sku`). Filters, wildcards, slices, unions, recursive descent and
 * scripts are refused: they are not needed to read one value, and scripts run code.
 */
export function parseFactPath(input: string): { segments: PathSegment[] } | { error: string } {
  if (input.length === 0) return { error: 'it is empty' };
  if (input.length > RULE_LIMITS.maxPathLength) {
    return {
      error: `it is ${input.length} characters long, at most ${RULE_LIMITS.maxPathLength} are allowed`,
    };
  }
  const segments: PathSegment[] = [];
  let i = 0;
  if (input[0] === '$') {
    i = 1;
  } else {
    // A plain path starts with a bare name (or an index).
    const m = /^[^.[\]]+/.exec(input);
    if (m) {
      const seg = nameSegment(m[0]);
      if (typeof seg === 'object') return seg;
      segments.push(seg);
      i = m[0].length;
    }
  }
  while (i < input.length) {
    const ch = input[i];
    if (ch === '.') {
      if (input[i + 1] === '.') return { error: 'recursive descent ("..") is not supported' };
      const m = /^[^.[\]]*/.exec(input.slice(i + 1))!;
      if (m[0].length === 0) return { error: 'it has an empty name after "."' };
      const seg = nameSegment(m[0]);
      if (typeof seg === 'object') return seg;
      segments.push(seg);
      i += 1 + m[0].length;
    } else if (ch === '[') {
      const close = input.indexOf(']', i);
      if (close < 0) return { error: 'a "[" is not closed' };
      const inside = input.slice(i + 1, close);
      const quoted = /^'([^'"\\]+)'$|^"([^'"\\]+)"$/.exec(inside);
      if (INDEX.test(inside)) segments.push(Number(inside));
      else if (quoted) {
        const name = quoted[1] ?? quoted[2];
        if (FORBIDDEN_NAMES.has(name)) return { error: `"${name}" cannot be read` };
        segments.push(name);
      } else {
        return {
          error: `[${truncate(inside, 40)}] is not an index such as [0] or a quoted name such as ['first name']`,
        };
      }
      i = close + 1;
    } else {
      return { error: `"${ch}" at position ${i + 1} is not expected; names are joined with "."` };
    }
    if (segments.length > RULE_LIMITS.maxPathSegments) {
      return { error: `it has more than ${RULE_LIMITS.maxPathSegments} parts` };
    }
  }
  return { segments };
}

function nameSegment(name: string): PathSegment | { error: string } {
  if (INDEX.test(name)) return Number(name);
  if (FORBIDDEN_NAMES.has(name)) return { error: `"${name}" cannot be read` };
  if (!DOTTED_NAME.test(name)) {
    return {
      error: `"${truncate(name, 40)}" is not a plain name (letters, digits, _ and -); write ['${truncate(name, 40)}'] for other names`,
    };
  }
  return name;
}

/** The normalised JSONPath for parsed segments; `undefined` for the whole fact (`$`). */
export function formatFactPath(segments: readonly PathSegment[]): string | undefined {
  if (segments.length === 0) return undefined;
  return (
    '$' +
    segments
      .map((s) => (typeof s === 'number' ? `[${s}]` : PLAIN_NAME.test(s) ? `.${s}` : `['${s}']`))
      .join('')
  );
}

/** `amount` → `$.amount`; `$.items[0]` stays; `null` for a path that is not simple. */
export function normalizeFactPath(input: string): string | undefined | null {
  const parsed = parseFactPath(input);
  return 'error' in parsed ? null : formatFactPath(parsed.segments);
}

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
];
// Kinds whose USD amount is taxable as is; others carry taxableUsd from the action.
const TAXABLE_AS_AMOUNT_KINDS: readonly RewardKind[] = ['cash', 'gift_card'];

let currencies: Set<string> | undefined;
function isCurrency(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(code);
}

function checkActions(
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
  const push = (path: string, code: RuleProblemCode, message: string): void => {
    problems.push({ path, code, message });
  };
  if (!isPlainObject(raw)) {
    push(
      at,
      'INVALID_ACTION',
      `${at} must be an object with "type": "email" or "reward", not ${describe(raw)}.`,
    );
    return undefined;
  }
  if (raw.type !== 'email' && raw.type !== 'reward') {
    push(
      `${at}.type`,
      'INVALID_ACTION',
      `Unknown action type ${JSON.stringify(raw.type ?? null)} at ${at}.type; use one of: ${ACTION_TYPES.join(', ')}.`,
    );
    return undefined;
  }
  const allowed = raw.type === 'email' ? EMAIL_ACTION_KEYS : REWARD_ACTION_KEYS;
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      push(
        `${at}.${key}`,
        'INVALID_ACTION',
        `${at} has an unknown property "${key}"; a ${raw.type} action has only ${allowed.join(', ')}.`,
      );
    }
  }
  const to = raw.to;
  if (typeof to !== 'string' || !(RECIPIENTS as readonly string[]).includes(to)) {
    push(
      `${at}.to`,
      'INVALID_ACTION',
      `${at}.to is ${describe(to)}; use one of: ${RECIPIENTS.join(', ')}.`,
    );
  }

  if (raw.type === 'email') {
    checkTemplate(raw.template, `${at}.template`, ctx, push);
    if (raw.sender !== undefined) {
      const sender = raw.sender;
      if (
        typeof sender !== 'string' ||
        sender.length === 0 ||
        sender.length > RULE_LIMITS.maxSenderIdLength
      ) {
        push(
          `${at}.sender`,
          'INVALID_ACTION',
          `${at}.sender must be a sender identity id (1 to ${RULE_LIMITS.maxSenderIdLength} characters), not ${describe(sender)}.`,
        );
      } else if (ctx.senderExists && !ctx.senderExists(sender)) {
        push(
          `${at}.sender`,
          'UNKNOWN_SENDER',
          `Unknown sender ${JSON.stringify(sender)} at ${at}.sender; add it with PUT /v1/integrations/smtp/senders/${encodeURIComponent(sender)}, or leave sender out to send as the program.`,
        );
      }
    }
    return { ...raw } as unknown as EmailAction;
  }

  const kind = raw.kind;
  const kindOk = typeof kind === 'string' && (REWARD_KINDS as readonly string[]).includes(kind);
  if (!kindOk)
    push(
      `${at}.kind`,
      'INVALID_ACTION',
      `${at}.kind is ${describe(kind)}; use one of: ${REWARD_KINDS.join(', ')}.`,
    );
  const amountProblem = checkAmount(raw.amount, kind === 'points');
  if (amountProblem) push(`${at}.amount`, 'INVALID_AMOUNT', `${at}.amount ${amountProblem}.`);
  const currency = raw.currency;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    push(
      `${at}.currency`,
      'INVALID_CURRENCY',
      `${at}.currency must be an ISO-4217 code of three capital letters such as "USD", "EUR" or "BRL", not ${describe(currency)}.`,
    );
  } else if (!isCurrency(currency)) {
    push(
      `${at}.currency`,
      'INVALID_CURRENCY',
      `${at}.currency "${currency}" is not an ISO-4217 currency; use a code such as "USD", "EUR" or "BRL".`,
    );
  }
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
  if (raw.taxableUsd !== undefined) {
    const t = raw.taxableUsd;
    if (
      typeof t !== 'number' ||
      !Number.isFinite(t) ||
      t < 0 ||
      t > RULE_LIMITS.maxAmount ||
      decimals(t) > 2
    ) {
      push(
        `${at}.taxableUsd`,
        'INVALID_AMOUNT',
        `${at}.taxableUsd must be a USD amount of 0 or more with at most 2 decimals, not ${describe(t)}.`,
      );
    } else if (
      currency === 'USD' &&
      TAXABLE_AS_AMOUNT_KINDS.includes(kind as RewardKind) &&
      t !== raw.amount
    ) {
      push(
        `${at}.taxableUsd`,
        'INVALID_AMOUNT',
        `${at}.taxableUsd is always the amount for USD ${String(kind)} rewards; remove taxableUsd.`,
      );
    }
  }
  const action = { ...raw } as unknown as RewardAction;
  if (email && action.template === undefined) action.template = DEFAULT_REWARD_TEMPLATE;
  return action;
}

function checkTemplate(
  raw: unknown,
  at: string,
  ctx: RuleValidationContext,
  push: (path: string, code: RuleProblemCode, message: string) => void,
): void {
  if (
    typeof raw !== 'string' ||
    raw.length === 0 ||
    raw.length > RULE_LIMITS.maxTemplateKeyLength
  ) {
    push(
      at,
      'UNKNOWN_TEMPLATE',
      `${at} must be a template key such as "${DEFAULT_REWARD_TEMPLATE}", not ${describe(raw)}.`,
    );
    return;
  }
  if (RESERVED_TEMPLATE_KEYS.includes(raw)) {
    push(
      at,
      'RESERVED_TEMPLATE',
      `Template "${raw}" at ${at} is sent by the system itself and cannot be sent by a rule; use "${DEFAULT_REWARD_TEMPLATE}" or one of the program's own templates.`,
    );
    return;
  }
  if (RULE_SYSTEM_TEMPLATE_KEYS.includes(raw) || ctx.templateExists(raw)) return;
  const own = (ctx.listTemplates?.() ?? []).filter(
    (k) => !(SYSTEM_TEMPLATE_KEYS as readonly string[]).includes(k),
  );
  const choices = [...RULE_SYSTEM_TEMPLATE_KEYS, ...own.slice(0, 20)]
    .map((k) => `"${k}"`)
    .join(', ');
  push(
    at,
    'UNKNOWN_TEMPLATE',
    `Unknown template ${JSON.stringify(truncate(raw))} at ${at}; use one of: ${choices}${own.length > 20 ? ', ...' : ''}, or create it first with PUT /v1/templates/${encodeURIComponent(truncate(raw))}/<locale>.`,
  );
}

function checkAmount(raw: unknown, wholeOnly: boolean): string | undefined {
  if (typeof raw !== 'number' || !Number.isFinite(raw))
    return `must be a number such as 25 or 12.5, not ${describe(raw)}`;
  if (raw <= 0) return `must be more than 0, not ${raw}`;
  if (raw > RULE_LIMITS.maxAmount) return `must be at most ${RULE_LIMITS.maxAmount}, not ${raw}`;
  if (wholeOnly && !Number.isInteger(raw)) return `for points must be a whole number, not ${raw}`;
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

function checkText(
  raw: unknown,
  field: string,
  max: number,
  problems: RuleProblem[],
): string | undefined {
  if (typeof raw === 'string' && raw.trim().length > 0 && raw.length <= max) return raw;
  problems.push({
    path: field,
    code: 'INVALID_FIELD',
    message: `${field} must be a non-empty string of at most ${max} characters, not ${describe(raw)}.`,
  });
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is ConditionScalar {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(truncate(v));
  return JSON.stringify(v) ?? typeof v;
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
