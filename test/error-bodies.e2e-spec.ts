import { bearer, startTestApp, TestApp, TEST_ADMIN_TOKEN } from './support/test-app';

// Every error answers one shape, { statusCode, code, message, details }, with details always a
// list, and field problems in one vocabulary of codes (README, Errors).
describe('Error bodies (e2e)', () => {
  let t: TestApp;
  let p: { id: string; secretKey: string; publishableKey: string };

  beforeAll(async () => {
    t = await startTestApp();
    p = await t.createProgram({ name: 'Errors' });
  });
  afterAll(() => t?.close());

  const shape = (status: number, code: string) => ({
    statusCode: status,
    code,
    message: expect.any(String) as string,
    details: [],
  });

  it('answers 401 without a key, with details', async () => {
    const res = await t.http.get('/v1/rules').expect(401);
    expect(res.body).toEqual(shape(401, 'API_KEY_MISSING'));
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 401 for an unknown key and for a program key on an operator route', async () => {
    expect((await t.http.get('/v1/rules').set(bearer('sk_nope')).expect(401)).body).toEqual(
      shape(401, 'API_KEY_INVALID'),
    );
    const operator = await t.http
      .post('/v1/programs')
      .set(bearer(p.secretKey))
      .send({ name: 'x' })
      .expect(401);
    expect(operator.body).toEqual(shape(401, 'API_KEY_INVALID'));
  });

  it('answers 403 for a key of the wrong kind, with details', async () => {
    expect((await t.http.get('/v1/rules').set(bearer(p.publishableKey)).expect(403)).body).toEqual(
      shape(403, 'PUBLISHABLE_KEY_NOT_ALLOWED'),
    );
    const secretOnPublic = await t.http
      .post('/v1/public/verification')
      .set(bearer(p.secretKey))
      .send({ email: 'a@example.com' })
      .expect(403);
    expect(secretOnPublic.body).toEqual(shape(403, 'SECRET_KEY_NOT_ALLOWED'));
  });

  it('answers 404 for an unknown object and an unknown route, with details', async () => {
    expect((await t.http.get('/v1/rules/nope').set(bearer(p.secretKey)).expect(404)).body).toEqual(
      shape(404, 'NOT_FOUND'),
    );
    expect(
      (await t.http.get('/v1/nothing-here').set(bearer(p.secretKey)).expect(404)).body,
    ).toEqual(shape(404, 'NOT_FOUND'));
  });

  it('answers malformed JSON and a NUL in the URL with details too', async () => {
    const malformed = await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(malformed.body).toEqual(shape(400, 'MALFORMED_JSON'));
    expect((await t.http.get('/v1/rules/a%00b').set(bearer(p.secretKey)).expect(400)).body).toEqual(
      shape(400, 'BAD_REQUEST'),
    );
  });

  it('names every field problem in one vocabulary: REQUIRED, UNKNOWN_FIELD, WRONG_TYPE, TOO_LONG, NOT_ALLOWED_VALUE, INVALID_EMAIL_ADDRESS', async () => {
    const res = await t.http
      .put('/v1/participants/u1')
      .set(bearer(p.secretKey))
      .send({ firstName: 'x'.repeat(500), locale: 5, nickname: 'Al' })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const byField = Object.fromEntries(
      (res.body.details as Array<{ field: string; code: string; message: string }>).map((d) => [
        d.field,
        d,
      ]),
    );
    expect(byField.email).toEqual({
      field: 'email',
      code: 'REQUIRED',
      message: 'email is required.',
    });
    expect(byField.nickname).toEqual({
      field: 'nickname',
      code: 'UNKNOWN_FIELD',
      message: 'nickname is not a known field; remove it.',
    });
    expect(byField.firstName.code).toBe('TOO_LONG');
    expect(byField.locale.code).toMatch(/^(WRONG_TYPE|INVALID_FORMAT)$/);

    const email = await t.http
      .put('/v1/participants/u1')
      .set(bearer(p.secretKey))
      .send({ email: 'ana@bücher.de' })
      .expect(400);
    expect(email.body.details).toEqual([
      expect.objectContaining({ field: 'email', code: 'INVALID_EMAIL_ADDRESS' }),
    ]);

    const rotate = await t.http
      .post('/v1/program/keys/rotate')
      .set(bearer(p.secretKey))
      .send({ kind: 'master' })
      .expect(400);
    expect(rotate.body.details).toEqual([
      expect.objectContaining({ field: 'kind', code: 'NOT_ALLOWED_VALUE' }),
    ]);
  });

  it('never puts a refused value in the answer', async () => {
    const res = await t.http
      .post('/v1/programs')
      .set(bearer(TEST_ADMIN_TOKEN))
      .send({ name: 'x', timezone: 'Secret/Value-123' })
      .expect(400);
    expect(res.body.details).toEqual([
      expect.objectContaining({ field: 'timezone', code: 'INVALID_FORMAT' }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain('Secret/Value-123');
  });
});
