import { bearer, startTestApp, TestApp } from './support/test-app';

// Recording a received W-9: a partial change of a participant, without sending its email again.
describe('PATCH /v1/participants/:id (e2e)', () => {
  let t: TestApp;
  let key: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    key = bearer((await t.createProgram({ name: 'Patches' })).secretKey);
    await t.http
      .put('/v1/participants/u2')
      .set(key)
      .send({ email: 'u2@example.com', firstName: 'Ana', country: 'US' })
      .expect(201);
  });
  afterAll(() => t.close());

  it('a PUT without the email says the email is required, not a length', async () => {
    const res = await t.http
      .put('/v1/participants/u2')
      .set(key)
      .send({ taxFormOnFile: true })
      .expect(400);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'email', code: 'REQUIRED', message: 'email is required.' }],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/length|shorter|longer|characters/i);
  });

  it('records the tax form with PATCH and changes nothing else', async () => {
    const res = await t.http
      .patch('/v1/participants/u2')
      .set(key)
      .send({ taxFormOnFile: true })
      .expect(200);
    expect(res.body).toMatchObject({
      id: 'u2',
      email: 'u2@example.com',
      firstName: 'Ana',
      country: 'US',
      taxFormOnFile: true,
      payoutDetailsOnFile: false,
    });
    const read = await t.http.get('/v1/participants/u2').set(key).expect(200);
    expect(read.body).toMatchObject({ taxFormOnFile: true, firstName: 'Ana' });
  });

  it('clears an optional field with null, and refuses null for the email and the flags', async () => {
    const cleared = await t.http
      .patch('/v1/participants/u2')
      .set(key)
      .send({ firstName: null, payoutDetailsOnFile: true })
      .expect(200);
    expect(cleared.body).toMatchObject({ firstName: null, payoutDetailsOnFile: true });
    const refused = await t.http
      .patch('/v1/participants/u2')
      .set(key)
      .send({ email: null, taxFormOnFile: null })
      .expect(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
    expect(refused.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'email',
      'taxFormOnFile',
    ]);
  });

  it('checks what it changes like PUT does: a bad address or an unknown field is a 400', async () => {
    const bad = await t.http
      .patch('/v1/participants/u2')
      .set(key)
      .send({ email: 'not-an-address' })
      .expect(400);
    expect(bad.body.details[0]).toMatchObject({ field: 'email', code: 'INVALID_EMAIL_ADDRESS' });
    const unknown = await t.http
      .patch('/v1/participants/u2')
      .set(key)
      .send({ w9: true })
      .expect(400);
    expect(unknown.body.details[0]).toMatchObject({ field: 'w9', code: 'UNKNOWN_FIELD' });
  });

  it('answers 404 for a participant that does not exist, saying how to create it', async () => {
    const res = await t.http
      .patch('/v1/participants/nobody')
      .set(key)
      .send({ taxFormOnFile: true })
      .expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect(res.body.message).toContain('PUT /v1/participants/nobody');
    await t.http.get('/v1/participants/nobody').set(key).expect(404);
  });
});
