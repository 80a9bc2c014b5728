import type { Type } from '@nestjs/common';
import { AppError, type ErrorDetail } from '../common/errors/app-error';
import { createValidationPipe } from '../common/http/validation';
import { formField } from './console-request';
import { JsonRefused, parseStrictJson } from '../common/http/json-text';
import { hasMessage, translate, type Lang, type MessageKey } from './i18n';

/** A message above a form: what happened, or what went wrong and what to change. */
export interface Notice {
  kind: 'success' | 'error';
  title: string;
  message?: string;
  code?: string;
  /** Further lines, such as rejected recipients. */
  lines?: string[];
  link?: { href: string; label: string };
}

/** A form as it is shown again: the values typed, errors per field, and its notice. */
export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string[]>;
  notice?: Notice;
}

export const emptyForm = (values: Record<string, string> = {}): FormState => ({
  values,
  errors: {},
});

// The same pipe as the API: the console accepts exactly what the API accepts, with the same messages.
const pipe = createValidationPipe();

export async function validateBody<T extends object>(type: Type<T>, value: object): Promise<T> {
  return (await pipe.transform(value, { type: 'body', metatype: type })) as T;
}

export async function validateQuery<T extends object>(type: Type<T>, value: object): Promise<T> {
  return (await pipe.transform(value, { type: 'query', metatype: type })) as T;
}

/** The named string fields of a form body, '' for those missing. */
export function pickFields(body: unknown, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, formField(body, name) ?? '']));
}

/** '' means "not given" for optional fields. */
export const optional = (value: string): string | undefined =>
  value.trim() === '' ? undefined : value.trim();

/** Whole numbers become numbers; anything else stays text, so validation names the field. */
export const integerOrText = (value: string): number | string | undefined => {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^-?\d{1,9}$/.test(trimmed) ? Number(trimmed) : trimmed;
};

/** Runs a change; a 4xx AppError comes back as a value to show, anything else is thrown on. */
export async function attempt<T>(
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: AppError }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (err instanceof AppError && err.getStatus() < 500) return { ok: false, error: err };
    throw err;
  }
}

/**
 * Field messages from an error's details, placed by `fieldOf` (a detail path to a form field);
 * details it cannot place stay on the notice.
 */
export function placeErrors(
  error: AppError,
  fieldOf: (path: string) => string | undefined,
): { errors: Record<string, string[]>; unplaced: string[] } {
  const errors: Record<string, string[]> = {};
  const unplaced: string[] = [];
  for (const detail of error.details ?? []) {
    const field = typeof detail.field === 'string' ? fieldOf(detail.field) : undefined;
    const message = describeDetail(detail);
    if (field) (errors[field] ??= []).push(message);
    else unplaced.push(message);
  }
  return { errors, unplaced };
}

/** A detail with its place in a template: "Line 3, column 7: ...". */
function describeDetail(detail: ErrorDetail): string {
  const line = typeof detail.line === 'number' ? detail.line : undefined;
  const column = typeof detail.column === 'number' ? detail.column : undefined;
  if (line === undefined) return detail.message;
  return column === undefined
    ? `Line ${line}: ${detail.message}`
    : `Line ${line}, column ${column}: ${detail.message}`;
}

/** The notice of a refused change: a title in the reader's language by code when we have one, and the service's own message. */
export function errorNotice(
  lang: Lang,
  error: AppError,
  fallbackTitle: MessageKey,
  unplaced: string[] = [],
): Notice {
  const byCode = `code.${error.code}`;
  return {
    kind: 'error',
    title: translate(lang, hasMessage(byCode) ? byCode : fallbackTitle),
    message: error.message,
    code: error.code,
    ...(unplaced.length ? { lines: unplaced } : {}),
  };
}

export function successNotice(
  lang: Lang,
  title: MessageKey,
  params: Record<string, unknown> = {},
  extra: Partial<Notice> = {},
): Notice {
  return { kind: 'success', title: translate(lang, title, params), ...extra };
}

/** A refused form: field errors where they belong, the rest on the notice. */
export function refusedForm(
  lang: Lang,
  values: Record<string, string>,
  error: AppError,
  fallbackTitle: MessageKey,
  fieldOf: (path: string) => string | undefined,
): FormState {
  const { errors, unplaced } = placeErrors(error, fieldOf);
  return { values, errors, notice: errorNotice(lang, error, fallbackTitle, unplaced) };
}

/** JSON typed into a textarea, or the place where it stops being JSON. */
export function parseJsonField(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    // Read as the API reads a body: the console must not take in what the API refuses.
    return { ok: true, value: parseStrictJson(text) };
  } catch (err) {
    if (err instanceof JsonRefused) return { ok: false, message: err.message };
    const message = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(message);
    if (!position) return { ok: false, message: `Not valid JSON: ${message}` };
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return {
      ok: false,
      message: `Line ${line}, column ${column}: not valid JSON (${message.replace(/\s*\(line \d+ column \d+\)/, '')}).`,
    };
  }
}

/** The first name of a detail path: `actions[0].template` → `actions`. */
export const topField = (path: string): string => path.split(/[.[]/)[0];

// What a redirect after a change may announce; anything else in ?notice= is ignored.
const REDIRECT_NOTICES: Record<string, Notice['kind']> = {
  'smtp-disconnected': 'success',
  'oauth-connected': 'success',
  'sender-removed': 'success',
  'domain-removed': 'success',
  'rule-created': 'success',
  'rule-saved': 'success',
  'rule-enabled': 'success',
  'rule-disabled': 'success',
  'rule-deleted': 'success',
  'template-reset': 'success',
  'message-retried': 'success',
  'suppression-added': 'success',
  'suppression-kept': 'success',
  'suppression-lifted': 'success',
  'signed-out': 'success',
  'session-expired': 'error',
};

export function noticeFromQuery(lang: Lang, value: unknown): Notice | undefined {
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(REDIRECT_NOTICES, value))
    return undefined;
  return { kind: REDIRECT_NOTICES[value], title: translate(lang, `notice.${value}`) };
}
