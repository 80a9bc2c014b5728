import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { ParticipantTaxYear } from '../src/tax/participant-tax-year.entity';
import { Rule } from '../src/rules/rule.entity';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

// The W-9 audit: money is whole cents end to end, the same on SQLite and Postgres.
describe('Money in whole cents (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let p: ProgramKeys;

  const rule = (actions: unknown[], event = 'sale') =>
    t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({ name: `Pay ${randomBytes(3).toString('hex')}`, event, actions });
  const giftCard = (amount: number) => ({
    type: 'reward',
    to: 'participant',
    kind: 'gift_card',
    amount,
    currency: 'USD',
    email: false,
  });

  /** One rule per amount: an event `sale.<amount>` pays it. */
  async function payRules(amounts: number[]): Promise<void> {
    for (const amount of amounts) await rule([giftCard(amount)], `sale.${amount}`).expect(201);
  }

  async function earn(participantId: string, amount: number): Promise<string> {
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type: `sale.${amount}`,
        participant: { id: participantId, email: `${participantId}@example.com` },
        idempotencyKey: randomUUID(),
      })
      .expect(202);
    return eventually(async () => {
      const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
      if (ev.body.status === 'failed') throw new Error(`event failed: ${JSON.stringify(ev.body)}`);
      return ev.body.status === 'processed' ? (res.body.id as string) : undefined;
    });
  }

  const summary = (id: string) =>
    t.http.get(`/v1/participants/${id}/tax-summary`).set(bearer(p.secretKey)).expect(200);
  const notices = (participantId: string) =>
    db
      .getRepository(Message)
      .findBy({ programId: p.id, templateKey: 'w9-required', participantId });

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    p = await t.createProgram({ name: 'Cents', timezone: 'America/New_York' });
    await payRules([300.01, 299, 598.7, 0.1, 0.2, 0.01]);
  });
  afterAll(() => t.close());

  describe('amounts with a fraction of a cent', () => {
    it.each([
      ['598 + 1.005: a USD gift card of 1.005', [giftCard(1.005)], 'actions[0].amount'],
      ['300.0049: a USD gift card of 4 decimals', [giftCard(300.0049)], 'actions[0].amount'],
      ['USD cash of 299.0049', [{ ...giftCard(299.0049), kind: 'cash' }], 'actions[0].amount'],
      [
        'a taxableUsd of 0.005',
        [{ ...giftCard(10), kind: 'credit', currency: 'EUR', taxableUsd: 0.005 }],
        'actions[0].taxableUsd',
      ],
    ])('refuses %s with a 400 naming the field', async (_name, actions, field) => {
      const res = await rule(actions).expect(400);
      expect(res.body.code).toBe('RULE_INVALID');
      expect(res.body.details).toEqual([
        expect.objectContaining({ field, code: 'INVALID_AMOUNT' }),
      ]);
      expect(res.body.message).toContain(field);
    });

    it('refuses one in a changed rule too, and keeps the rule as it was', async () => {
      const created = await rule([giftCard(5)]).expect(201);
      const res = await t.http
        .patch(`/v1/rules/${created.body.id}`)
        .set(bearer(p.secretKey))
        .send({ actions: [giftCard(5.001)] })
        .expect(400);
      expect(res.body.message).toContain('fraction of a cent');
      const kept = await t.http.get(`/v1/rules/${created.body.id}`).set(bearer(p.secretKey));
      expect(kept.body.actions[0].amount).toBe(5);
    });

    it('accepts 4 decimals in another currency, whose taxable part is set in whole cents', async () => {
      await rule([
        { ...giftCard(12.3456), currency: 'EUR', kind: 'credit', taxableUsd: 13.45 },
      ]).expect(201);
    });

    it('refuses a W-9 threshold with a fraction of a cent, naming the setting', async () => {
      const one = await t.http
        .patch('/v1/program')
        .set(bearer(p.secretKey))
        .send({ settings: { w9ThresholdUsd: 599.005 } })
        .expect(400);
      expect(one.body.code).toBe('VALIDATION_FAILED');
      expect(one.body.details).toEqual([
        expect.objectContaining({
          field: 'settings.w9ThresholdUsd',
          message: expect.stringContaining('whole cents'),
        }),
      ]);
      const byYear = await t.http
        .patch('/v1/program')
        .set(bearer(p.secretKey))
        .send({ settings: { w9ThresholdsByYear: { '2026': 2000.001 } } })
        .expect(400);
      expect(byYear.body.details).toEqual([
        expect.objectContaining({ field: 'settings.w9ThresholdsByYear' }),
      ]);
      await t.http
        .patch('/v1/program')
        .set(bearer(p.secretKey))
        .send({ settings: { w9ThresholdsByYear: { '2030': 2000.5 } } })
        .expect(200);
    });

    it('skips, with the reason, a reward of a rule saved with one before amounts were whole cents', async () => {
      // Written around the API, as an older version could have stored it.
      const now = new Date();
      await db.getRepository(Rule).insert({
        id: randomUUID(),
        programId: p.id,
        name: 'Old rule',
        event: 'sale.legacy',
        conditions: null,
        actions: [{ ...giftCard(1.005), type: 'reward' } as Rule['actions'][number]],
        enabled: true,
        priority: 0,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      const res = await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({ type: 'sale.legacy', participant: { id: 'legacy', email: 'legacy@example.com' } })
        .expect(202);
      const ev = await eventually(async () => {
        const got = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
        return got.body.status !== 'queued' ? got.body : undefined;
      });
      expect(ev.status).toBe('processed');
      expect(ev.results[0].actions[0]).toMatchObject({
        outcome: 'skipped',
        reason: 'INVALID_AMOUNT',
        message: expect.stringContaining('1.005'),
      });
      const rewards = await t.http
        .get('/v1/rewards?participantId=legacy')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(rewards.body.items).toEqual([]);
    });
  });

  describe('the W-9 total', () => {
    it('counts 300.01 + 299.00 as 599.01, above 599: exactly one notice', async () => {
      await earn('c1', 300.01);
      await earn('c1', 299);
      const res = await summary('c1');
      expect(res.body).toMatchObject({
        totalUsd: 599.01,
        thresholdUsd: 599,
        aboveThreshold: true,
        w9Required: true,
      });
      const sent = await notices('c1');
      expect(sent).toHaveLength(1);
      expect(sent[0].data).toMatchObject({ totalUsd: 599.01, thresholdUsd: 599 });

      // The rewards keep their cents, as JSON numbers in dollars.
      const rewards = await t.http
        .get('/v1/rewards?participantId=c1')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(rewards.body.items.map((r: { taxableUsd: number }) => r.taxableUsd).sort()).toEqual([
        299, 300.01,
      ]);
      const row = await db
        .getRepository(ParticipantTaxYear)
        .findOneByOrFail({ programId: p.id, participantId: 'c1' });
      expect(row.totalCents).toBe(59901);

      await earn('c1', 0.01);
      expect((await summary('c1')).body.totalUsd).toBe(599.02);
      expect(await notices('c1')).toHaveLength(1);
    });

    it('sends none at exactly 599.00, however the cents add up, and one at the next cent', async () => {
      // 598.7 + 0.1 + 0.2 is 599.0000000000001 in floating point.
      await earn('c2', 598.7);
      await earn('c2', 0.1);
      await earn('c2', 0.2);
      expect((await summary('c2')).body).toMatchObject({
        totalUsd: 599,
        aboveThreshold: false,
        w9Required: false,
        w9NoticeSentAt: null,
      });
      expect(await notices('c2')).toHaveLength(0);

      await earn('c2', 0.01);
      expect((await summary('c2')).body).toMatchObject({ totalUsd: 599.01, w9Required: true });
      expect(await notices('c2')).toHaveLength(1);
    });

    it('takes a cancelled reward out to the cent', async () => {
      await earn('c3', 300.01);
      await earn('c3', 0.1);
      const list = await t.http
        .get('/v1/rewards?participantId=c3')
        .set(bearer(p.secretKey))
        .expect(200);
      const big = list.body.items.find((r: { amount: number }) => r.amount === 300.01);
      await t.http
        .patch(`/v1/rewards/${big.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'cancelled' })
        .expect(200);
      expect((await summary('c3')).body.totalUsd).toBe(0.1);
    });
  });
});
