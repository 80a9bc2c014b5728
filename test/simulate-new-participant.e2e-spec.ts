import { bearer, startTestApp, TestApp } from './support/test-app';

// Simulating an event for someone not stored yet, without an email: it writes nothing, so it
// runs, and says what a real event would still need.
describe('POST /v1/rules/simulate for a participant not stored yet (e2e)', () => {
  let t: TestApp;
  let key: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    key = bearer((await t.createProgram({ name: 'Simulations' })).secretKey);
    await t.http
      .post('/v1/rules')
      .set(key)
      .send({
        name: 'Friend bought for $50 or more',
        event: 'purchase',
        conditions: {
          all: [{ fact: 'event', path: 'amount', operator: 'greaterThanInclusive', value: 50 }],
        },
        actions: [
          { type: 'reward', to: 'referrer', kind: 'cash', amount: 25, currency: 'USD' },
          { type: 'email', template: 'reward-earned', to: 'participant' },
        ],
      })
      .expect(201);
  });
  afterAll(() => t.close());

  it('simulates without the email, and names what a real event would need', async () => {
    const res = await t.http
      .post('/v1/rules/simulate')
      .set(key)
      .send({
        event: {
          type: 'purchase',
          participant: { id: 'new-friend' },
          referrer: { id: 'new-ana' },
          data: { amount: 80 },
        },
      })
      .expect(200);
    expect(res.body.matches).toEqual([
      expect.objectContaining({ ruleName: 'Friend bought for $50 or more' }),
    ]);
    expect(res.body.results[0].actions).toEqual([
      expect.objectContaining({ type: 'reward', recipientId: 'new-ana', outcome: 'would-write' }),
      expect.objectContaining({ type: 'email', recipientId: 'new-friend', outcome: 'would-write' }),
    ]);
    expect(res.body.eventNeeds).toEqual([
      {
        field: 'event.participant.email',
        code: 'PARTICIPANT_EMAIL_REQUIRED',
        message: expect.stringContaining('must send participant.email'),
      },
      {
        field: 'event.referrer.email',
        code: 'PARTICIPANT_EMAIL_REQUIRED',
        message: expect.stringContaining('must send referrer.email'),
      },
    ]);
    // Nothing was stored: neither person exists afterwards.
    await t.http.get('/v1/participants/new-friend').set(key).expect(404);
    await t.http.get('/v1/participants/new-ana').set(key).expect(404);

    // The real event is refused for exactly what the simulation named.
    const real = await t.http
      .post('/v1/events')
      .set(key)
      .send({ type: 'purchase', participant: { id: 'new-friend' }, data: { amount: 80 } })
      .expect(400);
    expect(real.body.code).toBe('PARTICIPANT_EMAIL_REQUIRED');
  });

  it('needs nothing for people who are stored or come with their email', async () => {
    await t.http
      .put('/v1/participants/known')
      .set(key)
      .send({ email: 'known@example.com' })
      .expect(201);
    const res = await t.http
      .post('/v1/rules/simulate')
      .set(key)
      .send({
        event: {
          type: 'purchase',
          participant: { id: 'known' },
          referrer: { id: 'brand-new', email: 'new@example.com' },
          data: { amount: 10 },
        },
      })
      .expect(200);
    expect(res.body.eventNeeds).toEqual([]);
    expect(res.body.matches).toEqual([]);
  });
});
