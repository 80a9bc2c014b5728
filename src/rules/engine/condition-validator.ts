// Validating a rule's conditions and returning them with paths normalised.

import { formatFactPath, parseFactPath } from './fact-paths';
import { describe, isPlainObject, truncate } from './json-values';
import {
  RULE_FACTS,
  RULE_LIMITS,
  RULE_OPERATORS,
  type ConditionScalar,
  type ConditionValue,
  type LeafCondition,
  type RuleCondition,
  type RuleConditions,
  type RuleFact,
  type RuleOperator,
  type RuleProblem,
  type RuleProblemCode,
} from './rule-types';

/**
 * Adds every problem in `raw` to `problems` and returns the conditions normalised; `undefined`
 * for an empty root "all" (always matches) or when there are problems.
 */
export function collectConditions(
  raw: unknown,
  problems: RuleProblem[],
): RuleConditions | undefined {
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

function isScalar(v: unknown): v is ConditionScalar {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}
