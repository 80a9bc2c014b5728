import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import type { CreateEventDto } from './dto/event.dto';
import type { ProgramEvent } from './event.entity';

/** The most differing fields one refusal names. */
const MAX_NAMED = 10;

/**
 * A JSON value in one canonical text: object keys sorted, undefined members left out, so two
 * bodies that say the same thing (in any key order, the key in the header or the body) compare
 * equal.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The body without its idempotency key, which may come in the body or in the header. */
function requestOf(body: object): Record<string, unknown> {
  const { idempotencyKey: _key, ...rest } = body as Record<string, unknown>;
  return rest;
}

/** The dotted paths where two JSON values differ, at most `max` of them. */
function differences(a: unknown, b: unknown, path: string, out: string[], max: number): void {
  if (out.length >= max) return;
  const objects =
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b);
  if (!objects) {
    if (canonicalJson(a) !== canonicalJson(b)) out.push(path || '(body)');
    return;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort())
    differences(x[key], y[key], path ? `${path}.${key}` : key, out, max);
}

/**
 * Refuses a request that reuses the idempotency key of a stored event with a different body: the
 * first event is answered only to a repeat of the same request. The stored `raw` is the first
 * request as it was received, so the comparison costs nothing until a key repeats, and holds for
 * events stored before it existed.
 */
export function assertSameRequest(first: ProgramEvent, dto: CreateEventDto): void {
  const stored = requestOf(first.raw);
  // The validated body as JSON, as `raw` was stored.
  const sent = requestOf(JSON.parse(JSON.stringify(dto)) as object);
  if (canonicalJson(stored) === canonicalJson(sent)) return;
  const fields: string[] = [];
  differences(stored, sent, '', fields, MAX_NAMED);
  throw new AppError(
    HttpStatus.CONFLICT,
    'IDEMPOTENCY_KEY_REUSED',
    `The idempotency key ${JSON.stringify(first.idempotencyKey)} was already used for event ${first.id} with a different body (${fields.join(', ')} differ). A new event needs a new key; to get the first event back, send exactly the same body again.`,
    fields.map((field) => ({
      field,
      message: `${field} differs from the request that first used this key.`,
    })),
  );
}
