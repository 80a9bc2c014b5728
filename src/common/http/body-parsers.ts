import express, { NextFunction, Request, Response } from 'express';
import { errorBody } from '../errors/error-body';

// Keys that would reach object prototypes when a body is merged or copied somewhere.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// body-parser keeps only the message of an error thrown while parsing, so the key travels in it.
const FORBIDDEN_MARK = /^forbidden-key:(\S+)$/;

// A lone UTF-16 surrogate (JSON "\ud800") is valid JSON but not text: no UTF-8 can hold it, and
// validators that encode strings (isEmail) throw on it.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNPAIRED_MARK = 'unpaired-surrogate';

function reviver(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new SyntaxError(`forbidden-key:${key}`);
  if (UNPAIRED_SURROGATE.test(key) || (typeof value === 'string' && UNPAIRED_SURROGATE.test(value)))
    throw new SyntaxError(UNPAIRED_MARK);
  return value;
}

export function bodyParsers(limitBytes: number) {
  return [
    express.json({
      limit: limitBytes,
      strict: true,
      reviver,
      type: ['application/json', 'application/*+json'],
    }),
    express.text({ limit: limitBytes, type: ['text/csv', 'text/plain'] }),
  ];
}

/** Turns body-parser failures into the common error body instead of an HTML page. */
export function bodyParserErrorHandler(
  err: unknown,
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (!e || typeof e !== 'object' || !e.type) return next(err);
  const forbidden = FORBIDDEN_MARK.exec(e.message ?? '');
  if (forbidden) {
    res
      .status(400)
      .json(
        errorBody(
          400,
          'FORBIDDEN_KEY',
          `The key "${forbidden[1]}" is not allowed anywhere in a request body; rename it.`,
        ),
      );
  } else if (e.message === UNPAIRED_MARK) {
    res
      .status(400)
      .json(
        errorBody(
          400,
          'MALFORMED_JSON',
          'The request body has a string that is not valid Unicode (an unpaired surrogate such as \\ud800); send UTF-8 text.',
        ),
      );
  } else if (e.type === 'entity.parse.failed') {
    res
      .status(400)
      .json(
        errorBody(
          400,
          'MALFORMED_JSON',
          'The request body is not valid JSON. Check quotes, commas and brackets.',
        ),
      );
  } else if (e.type === 'entity.too.large') {
    res
      .status(413)
      .json(
        errorBody(
          413,
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than the limit of ${e.limit} bytes; send less data.`,
        ),
      );
  } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    res.status(415).json(errorBody(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.'));
  } else {
    res
      .status(e.status ?? 400)
      .json(errorBody(e.status ?? 400, 'BAD_REQUEST', 'The request body could not be read.'));
  }
}
