import { bearer, startTestApp, TestApp } from './support/test-app';

// The same Idempotency-Key with a different body: refused, so a client's bug is not hidden.
describe('Idempotency key reused with another body (e2e)', () => {
  let t: TestApp;
  let key: Record<string, string>;
  const purchase = (amount: number) => ({
    type: 'purchase',
    participant: { id: 'friend-1', email: 'friend@example.com', country: 'US' },
    referrer: { id: 'ana', email: 'ana@example.com' },
    data: { amount },
  });
  const post = (body: object, idempotencyKey?: string) => {
    const req = t.http.post('/v1/events').set(key);
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  };

  beforeAll(async () => {
    t = await startTestApp();
    key = bearer((await t.createProgram({ name: 'Idempotency' })).secretKey);
  });
  afterAll(() => t.close());

  it('answers 409 IDEMPOTENCY_KEY_REUSED for a different body, and the first event for the same one', async () => {
    const first = await post(purchase(80), 'order-1001').expect(202);
    const same = await post(
      // The same body with its keys in another order, and the key in the body this time.
      {
        idempotencyKey: 'order-1001',
        data: { amount: 80 },
        referrer: purchase(80).referrer,
        participant: purchase(80).participant,
        type: 'purchase',
      },
      undefined,
    ).expect(202);
    expect(same.body.id).toBe(first.body.id);

    const other = await post(purchase(90), 'order-1001').expect(409);
    expect(other.headers['content-type']).toMatch(/application\/json/);
    expect(other.body).toMatchObject({
      statusCode: 409,
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: [{ field: 'data.amount' }],
    });
    expect(other.body.message).toContain(first.body.id);

    const stored = await t.http.get(`/v1/events/${first.body.id}`).set(key).expect(200);
    expect(stored.body.data).toEqual({ amount: 80 });
    // The refused request changed nothing: the same body still gets the first event.
    const again = await post(purchase(80), 'order-1001').expect(202);
    expect(again.body.id).toBe(first.body.id);
  });

  it('decides a race of two bodies with one key the same way: one event, the other body refused', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(purchase(i % 2 ? 120 : 60), 'order-2002')),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted.length + refused.length).toBe(20);
    expect(new Set(accepted.map((a) => a.body.id)).size).toBe(1);
    expect(accepted).toHaveLength(10);
    for (const r of refused) expect(r.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const event = await t.http.get(`/v1/events/${accepted[0].body.id}`).set(key).expect(200);
    const winner = event.body.data.amount;
    const winners = answers.filter((_, i) => (i % 2 ? 120 : 60) === winner);
    expect(winners.every((a) => a.status === 202)).toBe(true);
  });
});
