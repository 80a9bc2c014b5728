/**
 * Rule definitions as marketers write them: validation of a whole definition, or of its
 * conditions alone. The shapes are in rule-types.ts.
 */

import { checkActions } from './action-validator';
import { collectConditions } from './condition-validator';
import { describe, isPlainObject } from './json-values';
import {
  RULE_LIMITS,
  type RuleConditions,
  type RuleDefinition,
  type RuleParseResult,
  type RuleProblem,
  type RuleValidationContext,
} from './rule-types';

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
