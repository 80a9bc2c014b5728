import { createHash } from 'node:crypto';

/**
 * The unique key of one effect (a reward or an outbox message) that a rule's action produces for
 * one recipient of one event. A retried evaluation computes the same key, so the unique index on
 * it turns a second write into a no-op.
 *
 * The rule version is deliberately left out: an edited rule must not produce the effect again
 * for an event it already handled. The action index is in, so two identical actions in one rule
 * each take effect once.
 *
 * A sha256 hex digest (64 characters) of the JSON-encoded parts: fixed length whatever the ids
 * (client participant ids can be long), and no separator that an id could contain.
 */
export function effectKey(
  eventId: string,
  ruleId: string,
  actionIndex: number,
  recipientId: string,
): string {
  requireId('eventId', eventId);
  requireId('ruleId', ruleId);
  requireId('recipientId', recipientId);
  if (!Number.isSafeInteger(actionIndex) || actionIndex < 0) {
    throw new RangeError(
      `actionIndex must be a whole number of 0 or more, not ${String(actionIndex)}.`,
    );
  }
  return createHash('sha256')
    .update(JSON.stringify(['rule-effect', eventId, ruleId, actionIndex, recipientId]))
    .digest('hex');
}

function requireId(name: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string.`);
  }
}
