import { bearer, startTestApp, TestApp, TEST_ADMIN_TOKEN } from './support/test-app';

// An operator whose program lost its secret key: find the program, read it, give it a new key.
describe('Operator program routes (e2e)', () => {
  let t: TestApp;
  const operator = bearer(TEST_ADMIN_TOKEN);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('lists every program newest first, paged, with no key in it', async () => {
    const created = [];
    for (const name of ['Acme referrals', 'Globex friends', 'Initech invites'])
      created.push(await t.createProgram({ name }));

    const first = await t.http.get('/v1/programs?limit=2').set(operator).expect(200);
    expect(first.body.items.map((p: { name: string }) => p.name)).toEqual([
      'Initech invites',
      'Globex friends',
    ]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t.http
      .get(`/v1/programs?limit=2&cursor=${first.body.nextCursor}`)
      .set(operator)
      .expect(200);
    expect(second.body.items.map((p: { name: string }) => p.name)).toEqual(['Acme referrals']);
    expect(second.body.nextCursor).toBeNull();

    const text = JSON.stringify([first.body, second.body]);
    for (const p of created) {
      expect(text).not.toContain(p.secretKey);
      expect(text).not.toContain(p.publishableKey);
    }
    expect(text).not.toMatch(/KeyHash|secretKey|publishableKey/);
    expect(first.body.items[0]).toMatchObject({
      id: created[2].id,
      name: 'Initech invites',
      timezone: 'UTC',
      defaultLocale: 'en',
      fromName: null,
      replyTo: null,
      settings: expect.objectContaining({ w9ThresholdUsd: 599, branding: true }),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const found = await t.http.get('/v1/programs?name=globex').set(operator).expect(200);
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([created[1].id]);
  });

  it('reads one program, and answers 404 for an id that is no program', async () => {
    const p = await t.createProgram({ name: 'Readable', timezone: 'America/New_York' });
    const res = await t.http.get(`/v1/programs/${p.id}`).set(operator).expect(200);
    expect(res.body).toMatchObject({ id: p.id, name: 'Readable', timezone: 'America/New_York' });
    expect(JSON.stringify(res.body)).not.toContain(p.secretKey);
    const missing = await t.http.get('/v1/programs/no-such-program').set(operator).expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('recovers a lost secret key: the operator rotates it, the old one stops working, the new one works', async () => {
    const p = await t.createProgram({ name: 'Lost key' });
    const rotated = await t.http
      .post(`/v1/programs/${p.id}/keys/rotate`)
      .set(operator)
      .send({ kind: 'secret' })
      .expect(200);
    expect(rotated.body).toEqual({ kind: 'secret', key: expect.stringMatching(/^sk_/) });
    const old = await t.http.get('/v1/program').set(bearer(p.secretKey)).expect(401);
    expect(old.body.code).toBe('API_KEY_INVALID');
    const now = await t.http.get('/v1/program').set(bearer(rotated.body.key)).expect(200);
    expect(now.body.id).toBe(p.id);

    const pk = await t.http
      .post(`/v1/programs/${p.id}/keys/rotate`)
      .set(operator)
      .send({ kind: 'publishable' })
      .expect(200);
    expect(pk.body.key).toMatch(/^pk_/);
    await t.http
      .post('/v1/public/verification')
      .set(bearer(p.publishableKey))
      .send({ email: 'ana@example.com' })
      .expect(401);
    await t.http
      .post('/v1/public/verification')
      .set(bearer(pk.body.key))
      .send({ email: 'ana@example.com' })
      .expect(202);

    const bad = await t.http
      .post(`/v1/programs/${p.id}/keys/rotate`)
      .set(operator)
      .send({ kind: 'admin' })
      .expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await t.http
      .post('/v1/programs/no-such-program/keys/rotate')
      .set(operator)
      .send({ kind: 'secret' })
      .expect(404);
  });

  it('takes only the operator token: a program key is 401, whatever program it names', async () => {
    const p = await t.createProgram({ name: 'Keys' });
    for (const key of [p.secretKey, p.publishableKey]) {
      await t.http.get('/v1/programs').set(bearer(key)).expect(401);
      await t.http.get(`/v1/programs/${p.id}`).set(bearer(key)).expect(401);
      const res = await t.http
        .post(`/v1/programs/${p.id}/keys/rotate`)
        .set(bearer(key))
        .send({ kind: 'secret' })
        .expect(401);
      expect(res.body.code).toBe('API_KEY_INVALID');
    }
    await t.http.get('/v1/programs').expect(401);
    await t.http.get('/v1/program').set(bearer(p.secretKey)).expect(200);
  });
});
