import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { appendFileSync } from 'node:fs';
import OpenAPIResponseValidator from 'openapi-response-validator';
import { openApiDocumentOf } from '../../src/openapi/openapi-document';

/**
 * Checks every answer the e2e tests receive against the app's own OpenAPI document, with
 * openapi-response-validator (Ajv over the document's schemas): the route and its status must be
 * documented, the content type must be the documented one, and a JSON body must match the
 * schema of the class the document names. What differs is appended as one JSON line to the file
 * named by TEST_OPENAPI_REPORT; `scripts/openapi-report.js` sums it up and fails on any line.
 * Without TEST_OPENAPI_REPORT nothing is checked.
 */
export interface OpenApiViolation {
  method: string;
  route: string;
  status: number;
  problem: string;
  errors?: string[];
  test?: string;
}

type Operation = {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);
// Served by the app but not part of the API: the console, metrics, the document itself, and
// the participant pages (HTML, kept out of the document as the console is).
const UNDOCUMENTED = /^\/(console|metrics|docs|p)(\/|$)/;
const MAX_BODY = 2 * 1024 * 1024;

export function checkAgainstOpenApi(app: INestApplication): { flush(): void } {
  const file = process.env.TEST_OPENAPI_REPORT;
  if (!file) return { flush: () => undefined };
  const validators = new Map<string, OpenAPIResponseValidator>();
  let checked = 0;

  const report = (violation: OpenApiViolation) => {
    const state = (
      globalThis as {
        expect?: { getState?: () => { currentTestName?: string; testPath?: string } };
      }
    ).expect?.getState?.();
    const test = state?.testPath
      ? `${state.testPath.replace(/^.*\/test\//, 'test/')} › ${state.currentTestName ?? ''}`
      : undefined;
    appendFileSync(file, `${JSON.stringify({ ...violation, test })}\n`);
  };

  const check = (req: Request, res: Response, body: Buffer) => {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof pattern !== 'string') return; // no route matched: the app's own 404
    const route = `${req.baseUrl ?? ''}${pattern}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    if (UNDOCUMENTED.test(route)) return;
    const document = openApiDocumentOf(app);
    if (!document) return;
    const method = req.method.toLowerCase();
    if (!METHODS.has(method)) return;
    checked++;
    const status = res.statusCode;
    const operation = (document.paths[route] as Record<string, Operation> | undefined)?.[method];
    const base = { method: req.method, route, status };
    if (!operation) return report({ ...base, problem: 'the route is not in the OpenAPI document' });
    const responses = operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) return report({ ...base, problem: `status ${status} is not documented` });
    const documented = responses[key].content ?? {};
    const type = String(res.getHeader('content-type') ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    const types = Object.keys(documented);
    if (body.length === 0 || status === 204 || status === 304) {
      if (types.length > 0 && body.length === 0 && status !== 204 && status !== 304)
        report({ ...base, problem: `no body, but ${types.join(', ')} is documented` });
      return;
    }
    if (!types.includes(type))
      return report({
        ...base,
        problem: `content type ${type || '(none)'} is not documented (documented: ${types.join(', ') || 'no content'})`,
      });
    if (!/json/.test(type)) return;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return report({ ...base, problem: 'the body is not JSON' });
    }
    const result = validatorFor(
      document,
      route,
      method,
      key,
      responses[key],
      validators,
    ).validateResponse(key, json);
    if (result)
      report({
        ...base,
        problem: 'the body does not match the documented schema',
        errors: (result.errors as Array<{ path?: string; message?: string }>).map(
          (e) => `${e.path ?? '(body)'}: ${e.message ?? ''}`,
        ),
      });
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buffer = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(
            chunk as string,
            typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
          );
      size += buffer.length;
      if (size <= MAX_BODY) chunks.push(buffer);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    }) as Response['end'];
    res.on('finish', () => {
      try {
        if (size <= MAX_BODY) check(req, res, Buffer.concat(chunks));
      } catch (err) {
        report({
          method: req.method,
          route: req.originalUrl,
          status: res.statusCode,
          problem: `the check itself failed: ${(err as Error).message}`,
        });
      }
    });
    next();
  });

  return {
    flush() {
      if (checked > 0) appendFileSync(file, `${JSON.stringify({ checked })}\n`);
      checked = 0;
    },
  };
}

function validatorFor(
  document: OpenAPIObject,
  route: string,
  method: string,
  key: string,
  response: { content?: Record<string, { schema?: unknown }> },
  cache: Map<string, OpenAPIResponseValidator>,
): OpenAPIResponseValidator {
  const id = `${method} ${route} ${key}`;
  let validator = cache.get(id);
  if (!validator) {
    const json = Object.entries(response.content ?? {}).find(([type]) => /json/.test(type));
    validator = new OpenAPIResponseValidator({
      responses: { [key]: { content: { 'application/json': json?.[1] ?? {} } } } as never,
      components: document.components as never,
    });
    cache.set(id, validator);
  }
  return validator;
}
