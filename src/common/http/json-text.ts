// How the service reads JSON from people and programs, for request bodies and for JSON typed
// into the console alike: no key that reaches an object's prototype, no text that is not
// Unicode, and no nesting deeper than anything it stores needs.

/** Objects and arrays inside each other, at most: far above any rule, event or template data. */
export const MAX_JSON_DEPTH = 64;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// A lone UTF-16 surrogate (JSON "\ud800") is valid JSON but not text: no UTF-8 can hold it, and
// validators that encode strings (isEmail) throw on it.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why JSON was refused; the message says what to change. */
export class JsonRefused extends SyntaxError {
  constructor(
    readonly code: 'FORBIDDEN_KEY' | 'MALFORMED_JSON' | 'JSON_TOO_DEEP',
    message: string,
  ) {
    super(message);
    this.name = 'JsonRefused';
  }
}

/**
 * A JSON.parse reviver that refuses what the service must never take in. It sees values
 * innermost first, so the depth of each object is its deepest child's plus one.
 */
export function strictReviver(): (key: string, value: unknown) => unknown {
  const depths = new WeakMap<object, number>();
  return (key, value) => {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new JsonRefused(
        'FORBIDDEN_KEY',
        `The key "${key}" is not allowed anywhere in JSON sent here; rename it.`,
      );
    }
    if (
      UNPAIRED_SURROGATE.test(key) ||
      (typeof value === 'string' && UNPAIRED_SURROGATE.test(value))
    ) {
      throw new JsonRefused(
        'MALFORMED_JSON',
        'The JSON has a string that is not valid Unicode (an unpaired surrogate such as \\ud800); send UTF-8 text.',
      );
    }
    if (value !== null && typeof value === 'object') {
      let deepest = 0;
      for (const child of Object.values(value)) {
        if (child !== null && typeof child === 'object')
          deepest = Math.max(deepest, depths.get(child) ?? 1);
      }
      const depth = deepest + 1;
      if (depth > MAX_JSON_DEPTH) {
        throw new JsonRefused(
          'JSON_TOO_DEEP',
          `The JSON nests objects and arrays more than ${MAX_JSON_DEPTH} deep; flatten it.`,
        );
      }
      depths.set(value, depth);
    }
    return value;
  };
}

/** JSON.parse with the strict reviver; throws JsonRefused, or SyntaxError for text that is not JSON. */
export function parseStrictJson(text: string): unknown {
  try {
    return JSON.parse(text, strictReviver());
  } catch (err) {
    // The reviver recurses per level: nesting past the stack is nesting past the limit.
    if (err instanceof RangeError) {
      throw new JsonRefused(
        'JSON_TOO_DEEP',
        `The JSON nests objects and arrays more than ${MAX_JSON_DEPTH} deep; flatten it.`,
      );
    }
    throw err;
  }
}
