import { parse } from 'csv-parse/sync';
import { AppError } from '../common/errors/app-error';
import { hasNoControlChars } from '../common/validation/validators';

export const MAX_CODES_PER_UPLOAD = 10_000;
export const MAX_CODE_LENGTH = 200;

/**
 * The codes of an upload, trimmed and without repeats, and how many it carried: a JSON body
 * `{ "codes": [...] }`, or CSV text with one code per row in its first column and an optional
 * header row "code". Anything else, or one invalid code, is a 400 and nothing is added.
 */
export function readUpload(body: unknown): { codes: string[]; received: number } {
  const raw = codesOf(body);
  if (raw.length > MAX_CODES_PER_UPLOAD)
    throw AppError.badRequest(
      'TOO_MANY_CODES',
      `Send at most ${MAX_CODES_PER_UPLOAD} codes at a time; this upload has ${raw.length}. Split it into several uploads.`,
    );
  const bad = raw.findIndex(
    (c) =>
      typeof c !== 'string' ||
      c.trim().length === 0 ||
      c.trim().length > MAX_CODE_LENGTH ||
      !hasNoControlChars(c),
  );
  if (bad >= 0)
    throw AppError.badRequest(
      'CODE_INVALID',
      `Code number ${bad + 1} is not a code: each must be text of 1 to ${MAX_CODE_LENGTH} characters without control characters. Nothing was added.`,
    );
  return { codes: [...new Set((raw as string[]).map((c) => c.trim()))], received: raw.length };
}

function codesOf(body: unknown): unknown[] {
  if (typeof body === 'string') {
    let rows: string[][];
    try {
      rows = parse(body, {
        skip_empty_lines: true,
        trim: true,
        bom: true,
        relax_column_count: true,
      });
    } catch (err) {
      throw AppError.badRequest(
        'CSV_INVALID',
        `The CSV could not be read: ${(err as Error).message}`,
      );
    }
    const codes = rows.map((r) => r[0] ?? '');
    if (codes.length > 0 && codes[0].toLowerCase() === 'code') codes.shift();
    if (codes.length === 0) throw emptyUpload();
    return codes;
  }
  if (
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    Object.keys(body).length === 1 &&
    Array.isArray((body as { codes?: unknown }).codes)
  ) {
    const codes = (body as { codes: unknown[] }).codes;
    if (codes.length === 0) throw emptyUpload();
    return codes;
  }
  throw emptyUpload();
}

function emptyUpload(): AppError {
  return AppError.badRequest(
    'CODES_MISSING',
    'Send the codes as JSON {"codes": ["SPRING-7Q4K", ...]}, or as CSV (Content-Type: text/csv) with one code per row in the first column and an optional header row "code".',
  );
}
