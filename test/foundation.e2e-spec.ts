import { AppLogger, LOGGER } from '../src/common/logging/logging.module';
import { bearer, startTestApp, TestApp, TEST_ADMIN_TOKEN } from './support/test-app';

describe('Foundation (e2e)', () => {
  let t: TestApp;
  let a: { id: string; secretKey: string; publishableKey: string };
  let b: { id: string; secretKey: string; publishableKey: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '4096' } });
    a = await t.createProgram({ name: 'Program A', timezone: 'America/New_York' });
    b = await t.createProgram({ name: 'Program B' });
  });
  afterAll(() => t.close());

  it('answers /health with the database and queue up', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.queue.status).toBe('up');
  });

  it('gives every request an id, echoed in the answer, and logs one line without credentials when it ends', async () => {
    const logger = t.app.get<AppLogger>(LOGGER);
    const info = jest.spyOn(logger, 'info');
    const warn = jest.spyOn(logger, 'warn');
    try {
      const given = await t.http
        .get('/v1/program')
        .set(bearer(a.secretKey))
        .set('X-Request-Id', 'edge-42.a_b')
        .set('User-Agent', 'probe/1')
        .expect(200);
      expect(given.headers['x-request-id']).toBe('edge-42.a_b');
      // An id with characters outside the safe set, or one that grows without bound, is replaced by one of ours.
      const made = await t.http
        .get('/v1/program')
        .set(bearer(a.secretKey))
        .set('X-Request-Id', `bad id "${'x'.repeat(80)}"`)
        .expect(200);
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      await t.http.post('/v1/events').set(bearer(a.secretKey)).send({ type: 'x' }).expect(400);
      const lines = info.mock.calls
        .filter(([, msg]) => msg === 'request completed')
        .map(
          ([line]) =>
            line as {
              req: Record<string, unknown>;
              res: { statusCode: number };
              responseTime: number;
            },
        );
      expect(lines).toEqual([
        {
          req: {
            id: 'edge-42.a_b',
            method: 'GET',
            url: '/v1/program',
            remoteAddress: expect.any(String),
            userAgent: 'probe/1',
          },
          res: { statusCode: 200 },
          responseTime: expect.any(Number),
        },
        expect.objectContaining({
          req: expect.objectContaining({ id: made.headers['x-request-id'], url: '/v1/program' }),
          res: { statusCode: 200 },
        }),
        expect.objectContaining({
          req: expect.objectContaining({ method: 'POST', url: '/v1/events' }),
          res: { statusCode: 400 },
        }),
      ]);
      expect(JSON.stringify(lines)).not.toContain(a.secretKey);
      await t.http.get('/health').expect(200);
      expect(info.mock.calls.filter(([, msg]) => msg === 'request completed')).toHaveLength(3);
      expect(warn).not.toHaveBeenCalledWith(expect.anything(), 'request aborted');
    } finally {
      info.mockRestore();
      warn.mockRestore();
    }
  });

  it('creates a program with the operator token and shows its keys once', async () => {
    expect(a.secretKey).toMatch(/^sk_[A-Za-z0-9_-]{32,}$/);
    expect(a.publishableKey).toMatch(/^pk_[A-Za-z0-9_-]{32,}$/);
    const res = await t.http.get('/v1/program').set(bearer(a.secretKey)).expect(200);
    expect(res.body).toMatchObject({
      id: a.id,
      name: 'Program A',
      timezone: 'America/New_York',
      defaultLocale: 'en',
    });
    expect(res.body.settings).toMatchObject({
      w9ThresholdUsd: 599,
      payoutReminderIntervals: ['P3D', 'P7D', 'P14D'],
      branding: true,
    });
    expect(JSON.stringify(res.body)).not.toContain('sk_');
    expect(res.body.secretKeyHash).toBeUndefined();
  });

  it('refuses to create a program without the operator token', async () => {
    await t.http.post('/v1/programs').send({ name: 'x' }).expect(401);
    const res = await t.http
      .post('/v1/programs')
      .set(bearer(a.secretKey))
      .send({ name: 'x' })
      .expect(401);
    expect(res.body.code).toBe('API_KEY_INVALID');
  });

  it('answers 401 with no key and with a wrong key', async () => {
    const none = await t.http.get('/v1/program').expect(401);
    expect(none.body).toMatchObject({ statusCode: 401, code: 'API_KEY_MISSING' });
    const wrong = await t.http
      .get('/v1/program')
      .set(bearer('sk_nottherightkeyatall00000000000000'))
      .expect(401);
    expect(wrong.body.code).toBe('API_KEY_INVALID');
    await t.http.get('/v1/program').set(bearer(TEST_ADMIN_TOKEN)).expect(401);
  });

  it('answers 403 to a publishable key on a secret route', async () => {
    const res = await t.http.get('/v1/program').set(bearer(a.publishableKey)).expect(403);
    expect(res.body.code).toBe('PUBLISHABLE_KEY_NOT_ALLOWED');
    await t.http
      .put('/v1/participants/p1')
      .set(bearer(a.publishableKey))
      .send({ email: 'x@example.com' })
      .expect(403);
  });

  it('answers 404 for another program’s participant', async () => {
    await t.http
      .put('/v1/participants/shared-id')
      .set(bearer(a.secretKey))
      .send({ email: 'ana@example.com' })
      .expect(201);
    await t.http.get('/v1/participants/shared-id').set(bearer(a.secretKey)).expect(200);
    const res = await t.http.get('/v1/participants/shared-id').set(bearer(b.secretKey)).expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('upserts a participant: 201 then 200, keeping fields not sent', async () => {
    await t.http
      .put('/v1/participants/u-1')
      .set(bearer(a.secretKey))
      .send({
        email: 'Bea@Example.com',
        firstName: 'Bea',
        locale: 'pt-BR',
        country: 'BR',
        customFields: { tier: 'gold' },
      })
      .expect(201);
    const res = await t.http
      .put('/v1/participants/u-1')
      .set(bearer(a.secretKey))
      .send({ email: 'bea@example.com', taxFormOnFile: true })
      .expect(200);
    expect(res.body).toMatchObject({
      id: 'u-1',
      email: 'bea@example.com',
      firstName: 'Bea',
      locale: 'pt-BR',
      taxFormOnFile: true,
      payoutDetailsOnFile: false,
      customFields: { tier: 'gold' },
    });
  });

  it('leaves a participant untouched when an upsert changes nothing, and updates what differs', async () => {
    const body = { email: 'cy@example.com', firstName: 'Cy', customFields: { tier: 'gold', n: 1 } };
    const first = await t.http
      .put('/v1/participants/u-same')
      .set(bearer(a.secretKey))
      .send(body)
      .expect(201);
    await new Promise((r) => setTimeout(r, 5));
    const again = await t.http
      .put('/v1/participants/u-same')
      .set(bearer(a.secretKey))
      .send(body)
      .expect(200);
    expect(again.body).toEqual(first.body);
    const changed = await t.http
      .put('/v1/participants/u-same')
      .set(bearer(a.secretKey))
      .send({ ...body, customFields: { tier: 'silver', n: 1 } })
      .expect(200);
    expect(changed.body.customFields).toEqual({ tier: 'silver', n: 1 });
    expect(Date.parse(changed.body.updatedAt)).toBeGreaterThan(Date.parse(first.body.updatedAt));
    expect(
      (await t.http.get('/v1/participants/u-same').set(bearer(a.secretKey)).expect(200)).body,
    ).toEqual(changed.body);
  });

  it('answers a wrong body with 400 VALIDATION_FAILED and one detail per field', async () => {
    const res = await t.http
      .put('/v1/participants/u-2')
      .set(bearer(a.secretKey))
      .send({ email: 'not-an-email', country: 'usa', taxFormOnFile: 'yes', extra: 1 })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const fields = res.body.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['country', 'email', 'extra', 'taxFormOnFile']);
    for (const d of res.body.details) expect(typeof d.message).toBe('string');
  });

  it('refuses CR/LF in values that become mail headers', async () => {
    const res = await t.http
      .patch('/v1/program')
      .set(bearer(a.secretKey))
      .send({ fromName: 'Acme\r\nBcc: x@evil.test' })
      .expect(400);
    expect(res.body.details[0].field).toBe('fromName');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await t.http
      .put('/v1/participants/u-3')
      .set(bearer(a.secretKey))
      .set('Content-Type', 'application/json')
      .send('{"email": "x@example.com",')
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
  });

  it('refuses __proto__ keys anywhere in a body', async () => {
    const res = await t.http
      .put('/v1/participants/u-4')
      .set(bearer(a.secretKey))
      .set('Content-Type', 'application/json')
      .send('{"email":"x@example.com","customFields":{"__proto__":{"admin":true}}}')
      .expect(400);
    expect(res.body.code).toBe('FORBIDDEN_KEY');
  });

  it('answers an oversized body with 413', async () => {
    const res = await t.http
      .put('/v1/participants/u-5')
      .set(bearer(a.secretKey))
      .send({ email: 'x@example.com', firstName: 'x'.repeat(10000) })
      .expect(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('patches settings one key at a time', async () => {
    await t.http
      .patch('/v1/program')
      .set(bearer(b.secretKey))
      .send({ settings: { w9ThresholdsByYear: { '2026': 2000 } } })
      .expect(200);
    const res = await t.http
      .patch('/v1/program')
      .set(bearer(b.secretKey))
      .send({ settings: { branding: false } })
      .expect(200);
    expect(res.body.settings).toMatchObject({
      w9ThresholdsByYear: { '2026': 2000 },
      branding: false,
      w9ThresholdUsd: 599,
    });
    const bad = await t.http
      .patch('/v1/program')
      .set(bearer(b.secretKey))
      .send({ settings: { payoutReminderIntervals: ['P1M'] }, timezone: 'Mars/Base' })
      .expect(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'settings.payoutReminderIntervals',
      'timezone',
    ]);
  });

  it('rotates a key: the new one works, the old one is refused', async () => {
    const p = await t.createProgram({ name: 'Rotating' });
    const res = await t.http
      .post('/v1/program/keys/rotate')
      .set(bearer(p.secretKey))
      .send({ kind: 'secret' })
      .expect(200);
    expect(res.body.key).toMatch(/^sk_/);
    await t.http.get('/v1/program').set(bearer(p.secretKey)).expect(401);
    await t.http.get('/v1/program').set(bearer(res.body.key)).expect(200);
  });

  it('imports participants from CSV with per-row errors', async () => {
    const csv = [
      'id,email,firstName,lastName,locale,country',
      'c1,c1@example.com,Cai,Li,en,US',
      'c2,not-an-email,,,es,MX',
      'c 3,c3@example.com,,,,',
      'c4,c4@example.com,,,pt-BR,BR',
    ].join('\n');
    const res = await t.http
      .post('/v1/participants/import')
      .set(bearer(a.secretKey))
      .set('Content-Type', 'text/csv')
      .send(csv)
      .expect(200);
    expect(res.body).toMatchObject({ created: 2, updated: 0, failed: 2 });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 3, id: 'c2', field: 'email' }),
        expect.objectContaining({ row: 4, field: 'id' }),
      ]),
    );
    await t.http.get('/v1/participants/c4').set(bearer(a.secretKey)).expect(200);
    const header = await t.http
      .post('/v1/participants/import')
      .set(bearer(a.secretKey))
      .set('Content-Type', 'text/csv')
      .send('name,mail\nx,y')
      .expect(400);
    expect(header.body.code).toBe('CSV_HEADER_INVALID');
  });

  it('serves metrics and an OpenAPI document that lists the routes', async () => {
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.text).toContain('http_request_duration_seconds');
    expect(metrics.text).toContain('queue_jobs');
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/programs',
        '/v1/program',
        '/v1/participants/{id}',
        '/v1/participants/import',
        '/health',
      ]),
    );
  });

  it('answers unknown routes with the common error body', async () => {
    const res = await t.http.get('/v1/nothing-here').set(bearer(a.secretKey)).expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });
});
