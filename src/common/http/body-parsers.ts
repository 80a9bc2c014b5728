import express, { NextFunction, Request, Response } from 'express';
import { errorBody } from '../errors/error-body';
import { JsonRefused, MAX_JSON_DEPTH, strictReviver } from './json-text';

// body-parser keeps only the message of an error thrown while parsing, so the code travels in it.
const REFUSED_MARK = /^refused:([A-Z_]+):(.*)$/s;

// One reviver for every body: the depths it keeps are per object, and a parse never interleaves.
function reviver(): (key: string, value: unknown) => unknown {
  const strict = strictReviver();
  return (key, value) => {
    try {
      return strict(key, value);
    } catch (err) {
      if (err instanceof JsonRefused) throw new SyntaxError(`refused:${err.code}:${err.message}`);
      throw err;
    }
  };
}

export function bodyParsers(limitBytes: number) {
  return [
    express.json({
      limit: limitBytes,
      strict: true,
      reviver: reviver(),
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
  const reply = (status: number, code: string, message: string) =>
    void res.status(status).json(errorBody(status, code, message));
  const refused = REFUSED_MARK.exec(e.message ?? '');
  if (refused) {
    reply(400, refused[1], refused[2]);
  } else if (e.type === 'entity.parse.failed' && /call stack/i.test(e.message ?? '')) {
    // JSON.parse walks a reviver per level: nesting past the stack is past MAX_JSON_DEPTH too.
    reply(
      400,
      'JSON_TOO_DEEP',
      `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} deep; flatten it.`,
    );
  } else if (e.type === 'entity.parse.failed') {
    reply(
      400,
      'MALFORMED_JSON',
      'The request body is not valid JSON. Check quotes, commas and brackets.',
    );
  } else if (e.type === 'entity.too.large') {
    reply(
      413,
      'PAYLOAD_TOO_LARGE',
      `The request body is larger than the limit of ${e.limit} bytes; send less data.`,
    );
  } else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    reply(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.');
  } else {
    reply(e.status ?? 400, 'BAD_REQUEST', 'The request body could not be read.');
  }
}
