import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocumentOf } from '../src/openapi/openapi-document';
import { bearer, startTestApp, TestApp, TEST_ADMIN_TOKEN } from './support/test-app';

type Parameter = { name: string; in: string; required?: boolean };
type Operation = {
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Document;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as Document;
  });
  afterAll(() => t?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })),
    );

  it('lists one optional Idempotency-Key header on POST /v1/events', () => {
    const headers = (doc.paths['/v1/events'].post.parameters ?? []).filter(
      (p) => p.in === 'header',
    );
    expect(headers).toEqual([
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]);
  });

  it('has a bearer scheme per kind of key, none of them a JWT', () => {
    const schemes = doc.components.securitySchemes;
    expect(Object.keys(schemes).sort()).toEqual(['operatorToken', 'publishableKey', 'secretKey']);
    for (const scheme of Object.values(schemes)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(scheme).not.toHaveProperty('bearerFormat');
    }
  });

  it('says on every route which key it takes', () => {
    for (const { path, method, op } of operations()) {
      expect({ path, method, security: op.security }).toEqual({
        path,
        method,
        security: expect.any(Array) as unknown[],
      });
    }
    const keyOf = (path: string, method: string) =>
      Object.keys(doc.paths[path][method].security?.[0] ?? {})[0] ?? 'none';
    expect(keyOf('/v1/programs', 'post')).toBe('operatorToken');
    expect(keyOf('/v1/rules', 'post')).toBe('secretKey');
    expect(keyOf('/v1/public/verification', 'post')).toBe('publishableKey');
    expect(keyOf('/health', 'get')).toBe('none');
  });

  it('types every success answer with a body, and every error with the one error body', () => {
    const untyped: string[] = [];
    const otherErrors: string[] = [];
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const code = Number(status);
        if (code === 204 || (code >= 300 && code < 400)) continue;
        const media = Object.values(response.content ?? {});
        if (media.length === 0 || !media.every((m) => m.schema))
          untyped.push(`${method.toUpperCase()} ${path} ${status}`);
        const json = response.content?.['application/json'];
        // /health answers 503 with its own report of each check, not an error of the request.
        if ((code >= 400 || status === 'default') && json && path !== '/health')
          if (JSON.stringify(json.schema) !== '{"$ref":"#/components/schemas/ErrorResponse"}')
            otherErrors.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
    expect(untyped).toEqual([]);
    expect(otherErrors).toEqual([]);
  });

  it('types the rows a CSV import refuses', async () => {
    const schemas = (
      (await t.http.get('/docs-json')).body as {
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      }
    ).components.schemas;
    expect(schemas.ImportResultResponse.properties.errors).toEqual(
      expect.objectContaining({
        type: 'array',
        items: { $ref: '#/components/schemas/ImportRowError' },
      }),
    );
    const p = await t.createProgram();
    const res = await t.http
      .post('/v1/participants/import')
      .set(bearer(p.secretKey))
      .set('Content-Type', 'text/csv')
      .send('id,email\nok-1,ok@example.com\nbad-1,not-an-address\n,x@example.com\n')
      .expect(200);
    expect(res.body).toMatchObject({
      created: 1,
      failed: 2,
      errors: [
        { row: 3, id: 'bad-1', field: 'email', code: 'INVALID_EMAIL_ADDRESS' },
        { row: 4, field: 'id', code: 'REQUIRED' },
      ],
    });
  });

  describe('checking real answers against it', () => {
    let dir: string;
    let checked: TestApp;
    const saved = process.env.TEST_OPENAPI_REPORT;

    beforeAll(async () => {
      // Its own report: the deliberate differences below must not count against the suite's.
      dir = mkdtempSync(join(tmpdir(), 'rn-openapi-'));
      process.env.TEST_OPENAPI_REPORT = join(dir, 'report.jsonl');
      checked = await startTestApp();
    });
    afterAll(async () => {
      await checked?.close();
      process.env.TEST_OPENAPI_REPORT = saved;
      if (saved === undefined) delete process.env.TEST_OPENAPI_REPORT;
      rmSync(dir, { recursive: true, force: true });
    });

    const report = () =>
      readFileSync(join(dir, 'report.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);

    it('records nothing for answers that match, and the route, status and difference of one that does not', async () => {
      const p = await checked.createProgram({ name: 'Checked' });
      await checked.http.get('/v1/program').set(bearer(p.secretKey)).expect(200);
      await checked.http.get('/v1/rules/nope').set(bearer(p.secretKey)).expect(404);
      await checked.http.get('/v1/programs').set(bearer(TEST_ADMIN_TOKEN)).expect(200);
      expect(() => report()).toThrow(/ENOENT/);

      // The document drifts from the code: the program's answer lacks what it now promises.
      const schemas = (
        openApiDocumentOf(checked.app) as unknown as {
          components: { schemas: Record<string, { required?: string[] }> };
        }
      ).components.schemas;
      schemas.ProgramResponse.required = [...(schemas.ProgramResponse.required ?? []), 'mascot'];
      await checked.http.patch('/v1/program').set(bearer(p.secretKey)).send({}).expect(200);
      expect(report()).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          route: '/v1/program',
          status: 200,
          problem: 'the body does not match the documented schema',
          errors: [expect.stringContaining("must have required property 'mascot'")],
          test: expect.stringContaining('test/openapi.e2e-spec.ts') as string,
        }),
      ]);
    });
  });
});
