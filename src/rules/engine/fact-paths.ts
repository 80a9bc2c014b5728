// Simple paths into a fact: the only paths a condition may use.

import { truncate } from './json-values';
import { RULE_LIMITS } from './rule-types';

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
