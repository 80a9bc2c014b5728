import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { Reward } from '../src/rewards/reward.entity';
import { RewardTransition } from '../src/rewards/states/reward-transition.entity';
import { ParticipantTaxYear } from '../src/tax/participant-tax-year.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

// Holds and expiries of one or two seconds, swept every 200 ms: no real durations waited out.
describe('Reward states: holds, approval, reversal, expiry (e2e)', () => {
  let smtp: SmtpTestServer;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const rule = (p: ProgramKeys, event: string, actions: unknown[]) =>
    t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({ name: `On ${event}`, event, actions });

  /** Sends an event and waits until its rules ran; returns the event's results. */
  const send = async (
    p: ProgramKeys,
    type: string,
    participantId: string,
    data: Record<string, unknown> = {},
    referrerId?: string,
  ) => {
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type,
        participant: { id: participantId, email: `${participantId}@example.com` },
        ...(referrerId ? { referrer: { id: referrerId, email: `${referrerId}@example.com` } } : {}),
        data,
        idempotencyKey: `k-${randomBytes(6).toString('hex')}`,
      })
      .expect(202);
    return eventually(async () => {
      const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
      if (ev.body.status === 'failed') throw new Error(JSON.stringify(ev.body));
      return ev.body.status === 'processed' ? ev.body : undefined;
    });
  };
  const rewardsOf = (p: ProgramKeys, participantId: string) =>
    db.getRepository(Reward).find({
      where: { programId: p.id, participantId },
      order: { createdAt: 'ASC' },
    });
  const getReward = async (p: ProgramKeys, id: string) =>
    (await t.http.get(`/v1/rewards/${id}`).set(bearer(p.secretKey)).expect(200)).body;
  const messages = (p: ProgramKeys, templateKey: string, participantId: string) =>
    db.getRepository(Message).findBy({ programId: p.id, templateKey, participantId });
  const totalCents = async (p: ProgramKeys, participantId: string) =>
    (await db.getRepository(ParticipantTaxYear).findOneBy({ programId: p.id, participantId }))
      ?.totalCents ?? 0;

  describe('transitions through the API', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'States' });
      await rule(p, 'sale', [
        {
          type: 'reward',
          to: 'participant',
          kind: 'cash',
          amount: 10,
          currency: 'USD',
          email: false,
        },
      ]).expect(201);
    });

    it('refuses a change the state does not allow with 409 INVALID_TRANSITION naming the allowed ones', async () => {
      await send(p, 'sale', 'a1');
      const [reward] = await rewardsOf(p, 'a1');
      expect(reward.status).toBe('available');
      const pending = await t.http
        .patch(`/v1/rewards/${reward.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'denied' })
        .expect(409);
      expect(pending.body).toMatchObject({
        code: 'INVALID_TRANSITION',
        message:
          'The reward is available; it can become paid, redeemed, cancelled, reversed, expired, not denied.',
      });
      await t.http
        .patch(`/v1/rewards/${reward.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'paid', reason: 'bank transfer 2026-03' })
        .expect(200);
      const reversed = await t.http
        .patch(`/v1/rewards/${reward.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'reversed', reason: 'chargeback' })
        .expect(200);
      expect(reversed.body.status).toBe('reversed');
      const final = await t.http
        .patch(`/v1/rewards/${reward.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'paid' })
        .expect(409);
      expect(final.body.message).toBe(
        'The reward is reversed, which is final; it cannot become paid.',
      );
      const view = await getReward(p, reward.id);
      expect(view.history).toEqual([
        {
          from: null,
          to: 'available',
          at: expect.any(String),
          reason: null,
          actor: expect.stringMatching(/^rule:.+@1$/),
        },
        {
          from: 'available',
          to: 'paid',
          at: expect.any(String),
          reason: 'bank transfer 2026-03',
          actor: 'api',
        },
        {
          from: 'paid',
          to: 'reversed',
          at: expect.any(String),
          reason: 'chargeback',
          actor: 'api',
        },
      ]);
      expect(view.statusReason).toBe('chargeback');
      // Paid then reversed: the W-9 total counted it once and gave it back once.
      expect(await totalCents(p, 'a1')).toBe(0);
    });

    it('refuses pending and expired, which only the engine sets, with 400', async () => {
      await send(p, 'sale', 'a2');
      const [reward] = await rewardsOf(p, 'a2');
      for (const status of ['pending', 'expired', 'lost']) {
        const res = await t.http
          .patch(`/v1/rewards/${reward.id}`)
          .set(bearer(p.secretKey))
          .send({ status })
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('refuses reward options that do not parse when the rule is saved', async () => {
      const base = { type: 'reward', to: 'participant', kind: 'cash', amount: 1, currency: 'USD' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ hold: 'P1M' }, 'actions[0].hold'],
        [{ hold: '30 days' }, 'actions[0].hold'],
        [{ approval: 'auto' }, 'actions[0].approval'],
        [{ approval: 'manual', hold: 'P1D' }, 'actions[0].hold'],
        [{ expiringEmailBefore: 'P1D' }, 'actions[0].expiringEmailBefore'],
        [{ ref: '$..orderId' }, 'actions[0].ref'],
        [{ emails: { paid: false } }, 'actions[0].emails'],
      ];
      for (const [extra, path] of cases) {
        const res = await rule(p, 'x', [{ ...base, ...extra }]);
        expect(res.status).toBe(400);
        expect(res.body.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: path })]),
        );
      }
      const reverse = await rule(p, 'x', [
        { type: 'reverse-rewards', ref: 'orderId', to: 'participant' },
      ]);
      expect(reverse.status).toBe(400);
      expect(reverse.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'actions[0].to' })]),
      );
    });
  });

  describe('a held reward', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'Holds', timezone: 'America/New_York' });
      // A 600 USD gift card crosses the 599 W-9 threshold on its own.
      await rule(p, 'order.paid', [
        {
          type: 'reward',
          to: 'participant',
          kind: 'gift_card',
          amount: 600,
          currency: 'USD',
          hold: 'PT2S',
          ref: '$.orderId',
        },
      ]).expect(201);
      await rule(p, 'order.refunded', [{ type: 'reverse-rewards', ref: '$.orderId' }]).expect(201);
    });

    it('is pending with reward-pending at once, then available with reward-earned at release, the W-9 total and notice moving with it', async () => {
      const ev = await send(p, 'order.paid', 'h1', { orderId: 'O-1' });
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'pending',
        pendingReason: 'HOLD',
        releaseAt: expect.any(String),
      });
      const [reward] = await rewardsOf(p, 'h1');
      expect(reward).toMatchObject({ status: 'pending', pendingReason: 'HOLD', reference: 'O-1' });
      expect(await messages(p, 'reward-pending', 'h1')).toHaveLength(1);
      expect(await messages(p, 'reward-earned', 'h1')).toHaveLength(0);
      // Not owed yet: the total and the notice wait for the release.
      expect(await totalCents(p, 'h1')).toBe(0);
      expect(await messages(p, 'w9-required', 'h1')).toHaveLength(0);
      const pendingMail = await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('h1@example.com')),
      );
      expect(pendingMail.text).toContain('becomes available on');

      await eventually(async () => (await getReward(p, reward.id)).status === 'available', 20000);
      const view = await getReward(p, reward.id);
      expect(view).toMatchObject({
        status: 'available',
        pendingReason: null,
        releaseAt: null,
        reference: 'O-1',
      });
      expect(
        view.history.map((h: { from: string; to: string; actor: string; reason: string }) => [
          h.from,
          h.to,
          h.actor,
          h.reason,
        ]),
      ).toEqual([
        [null, 'pending', expect.stringMatching(/^rule:/), null],
        ['pending', 'available', 'system', 'hold ended'],
      ]);
      expect(await messages(p, 'reward-earned', 'h1')).toHaveLength(1);
      expect(await totalCents(p, 'h1')).toBe(60000);
      expect(await messages(p, 'w9-required', 'h1')).toHaveLength(1);
      const summary = await t.http
        .get('/v1/participants/h1/tax-summary')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(summary.body).toMatchObject({ totalUsd: 600, w9Required: true });
      expect(summary.body.note).toBeUndefined();

      // A refund after the release reverses it: the total leaves, the notice stays sent and says so.
      await send(p, 'order.refunded', 'h1', { orderId: 'O-1' });
      expect((await getReward(p, reward.id)).status).toBe('reversed');
      expect(await totalCents(p, 'h1')).toBe(0);
      expect(await messages(p, 'reward-reversed', 'h1')).toHaveLength(1);
      const after = await t.http
        .get('/v1/participants/h1/tax-summary')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(after.body).toMatchObject({
        totalUsd: 0,
        w9Required: false,
        w9NoticeSentAt: expect.any(String),
      });
      expect(after.body.note).toContain('stays sent');
    });

    it('is not released when a refund arrives first: cancelled, never counted', async () => {
      await send(p, 'order.paid', 'h2', { orderId: 'O-2' });
      const ev = await send(p, 'order.refunded', 'h2', { orderId: 'O-2' });
      const [reward] = await rewardsOf(p, 'h2');
      expect(ev.results[0].actions[0]).toMatchObject({
        type: 'reverse-rewards',
        outcome: 'written',
        reference: 'O-2',
        reversed: [{ rewardId: reward.id, from: 'pending', to: 'cancelled' }],
      });
      expect(reward.status).toBe('cancelled');
      // Past its release time, and swept many times since: still cancelled, never counted.
      await new Promise((r) => setTimeout(r, 2500));
      const view = await getReward(p, reward.id);
      expect(view.status).toBe('cancelled');
      expect(view.history.map((h: { to: string }) => h.to)).toEqual(['pending', 'cancelled']);
      expect(await totalCents(p, 'h2')).toBe(0);
      expect(await messages(p, 'reward-earned', 'h2')).toHaveLength(0);
      expect(await messages(p, 'reward-reversed', 'h2')).toHaveLength(1);
    });
  });

  describe('approval', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'Review' });
      await rule(p, 'signup', [
        {
          type: 'reward',
          to: 'participant',
          kind: 'cash',
          amount: 5,
          currency: 'USD',
          approval: 'manual',
        },
      ]).expect(201);
    });

    it('waits for PATCH: available sends reward-earned, denied sends reward-denied with the reason', async () => {
      await send(p, 'signup', 'r1');
      await send(p, 'signup', 'r2');
      const [one] = await rewardsOf(p, 'r1');
      const [two] = await rewardsOf(p, 'r2');
      expect(one).toMatchObject({
        status: 'pending',
        pendingReason: 'AWAITING_APPROVAL',
        releaseAt: null,
      });
      // Never released by the sweep: only a person decides.
      await new Promise((r) => setTimeout(r, 600));
      expect((await getReward(p, one.id)).status).toBe('pending');

      await t.http
        .patch(`/v1/rewards/${one.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'available' })
        .expect(200);
      expect(await totalCents(p, 'r1')).toBe(500);
      expect(await messages(p, 'reward-earned', 'r1')).toHaveLength(1);

      const denied = await t.http
        .patch(`/v1/rewards/${two.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'denied', reason: 'Duplicate account' })
        .expect(200);
      expect(denied.body).toMatchObject({ status: 'denied', statusReason: 'Duplicate account' });
      expect(denied.body.history[1]).toMatchObject({
        from: 'pending',
        to: 'denied',
        actor: 'api',
        reason: 'Duplicate account',
      });
      expect(await totalCents(p, 'r2')).toBe(0);
      const [mail] = await messages(p, 'reward-denied', 'r2');
      expect(mail.data).toMatchObject({ reason: 'Duplicate account', reasonCode: null });
      const text = await eventually(
        async () =>
          smtp.received.find(
            (m) => m.envelope.rcptTo.includes('r2@example.com') && /approve/.test(m.subject ?? ''),
          ) ??
          smtp.received.find(
            (m) =>
              m.envelope.rcptTo.includes('r2@example.com') &&
              /Duplicate account/.test(m.text ?? ''),
          ),
      );
      expect(text.text).toContain('Reason: Duplicate account');
    });
  });

  describe('reverse-rewards', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'Refunds' });
      await rule(p, 'purchase', [
        {
          type: 'reward',
          to: 'referrer',
          kind: 'cash',
          amount: 20,
          currency: 'USD',
          ref: '$.orderId',
          email: false,
        },
        {
          type: 'reward',
          to: 'participant',
          kind: 'cash',
          amount: 5,
          currency: 'USD',
          ref: '$.orderId',
          emails: { reversed: false },
        },
      ]).expect(201);
      await rule(p, 'refund', [
        { type: 'reverse-rewards', ref: '$.orderId', reason: 'refund' },
      ]).expect(201);
    });

    it('reverses each matching reward once when the refund arrives 5 times at once; others stay', async () => {
      await send(p, 'purchase', 'buyer', { orderId: 'A' }, 'friend');
      await send(p, 'purchase', 'buyer', { orderId: 'B' }, 'friend');
      await send(p, 'purchase', 'buyer', { orderId: 'C' }, 'friend');
      expect(await totalCents(p, 'friend')).toBe(6000);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => send(p, 'refund', 'buyer', { orderId: 'A' })),
      );
      const reversed = results.flatMap((ev) => ev.results[0].actions[0].reversed);
      const all = await db.getRepository(Reward).find({ where: { programId: p.id } });
      const a = all.filter((r) => r.reference === 'A');
      expect(a).toHaveLength(2);
      // Each reward of order A changed by exactly one of the five.
      expect(reversed.map((r: { rewardId: string }) => r.rewardId).sort()).toEqual(
        a.map((r) => r.id).sort(),
      );
      for (const r of a) {
        expect(r.status).toBe('reversed');
        const rows = await db
          .getRepository(RewardTransition)
          .findBy({ rewardId: r.id, to: 'reversed' });
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          from: 'available',
          reason: 'refund',
          actor: expect.stringMatching(/^rule:/),
        });
      }
      for (const r of all.filter((x) => x.reference !== 'A')) expect(r.status).toBe('available');
      expect(await totalCents(p, 'friend')).toBe(4000);
      expect(await totalCents(p, 'buyer')).toBe(1000);
      // The referrer's rule turned every email off, the participant's the reversal email only.
      expect(await messages(p, 'reward-reversed', 'friend')).toHaveLength(0);
      expect(await messages(p, 'reward-reversed', 'buyer')).toHaveLength(0);
    });

    it('says why nothing was reversed when the event lacks the reference', async () => {
      const ev = await send(p, 'refund', 'buyer', {});
      expect(ev.results[0].actions[0]).toMatchObject({
        outcome: 'skipped',
        reason: 'REFERENCE_MISSING',
      });
    });
  });

  describe('expiry', () => {
    it('expires an available reward, leaving the W-9 total, after the reward-expiring email', async () => {
      const p = await t.createProgram({ name: 'Expiry' });
      await rule(p, 'visit', [
        {
          type: 'reward',
          to: 'participant',
          kind: 'gift_card',
          amount: 15,
          currency: 'USD',
          expiresAfter: 'PT2S',
          expiringEmailBefore: 'PT1S',
        },
      ]).expect(201);
      await send(p, 'visit', 'e1');
      const [reward] = await rewardsOf(p, 'e1');
      expect(reward.status).toBe('available');
      expect(reward.expiresAt).not.toBeNull();
      expect(await totalCents(p, 'e1')).toBe(1500);
      await eventually(async () => (await getReward(p, reward.id)).status === 'expired', 20000);
      const [expiring] = await messages(p, 'reward-expiring', 'e1');
      expect(expiring.data).toMatchObject({ expiresAt: expect.any(String) });
      expect(await totalCents(p, 'e1')).toBe(0);
      const view = await getReward(p, reward.id);
      expect(view.history.slice(-1)[0]).toMatchObject({
        from: 'available',
        to: 'expired',
        actor: 'system',
      });
    });
  });
});

describe('Simulating reward actions (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('shows the state a reward would be in, its release date, and what a reversal would change', async () => {
    const p = await t.createProgram({ name: 'Simulate states' });
    for (const [event, actions] of [
      [
        'order.paid',
        [
          {
            type: 'reward',
            to: 'participant',
            kind: 'cash',
            amount: 10,
            currency: 'USD',
            hold: 'P30D',
            ref: '$.orderId',
            email: false,
          },
          {
            type: 'reward',
            to: 'participant',
            kind: 'cash',
            amount: 1,
            currency: 'USD',
            approval: 'manual',
            email: false,
          },
        ],
      ],
      ['order.refunded', [{ type: 'reverse-rewards', ref: '$.orderId' }]],
    ] as const) {
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({ name: event, event, actions })
        .expect(201);
    }
    const simulate = (type: string) =>
      t.http
        .post('/v1/rules/simulate')
        .set(bearer(p.secretKey))
        .send({
          event: {
            type,
            participant: { id: 's1', email: 's1@example.com' },
            data: { orderId: 'Z-9' },
          },
        })
        .expect(200);
    const before = Date.now();
    const paid = await simulate('order.paid');
    const [held, approval] = paid.body.results[0].actions;
    expect(held).toMatchObject({
      outcome: 'would-write',
      status: 'pending',
      pendingReason: 'HOLD',
      reference: 'Z-9',
    });
    const release = Date.parse(held.releaseAt) - before;
    expect(release).toBeGreaterThanOrEqual(30 * 86400 * 1000);
    expect(release).toBeLessThan(30 * 86400 * 1000 + 60_000);
    expect(approval).toMatchObject({ status: 'pending', pendingReason: 'AWAITING_APPROVAL' });
    expect(approval.releaseAt).toBeUndefined();
    // Nothing written by the simulation: the reversal would find nothing.
    const refund = await simulate('order.refunded');
    expect(refund.body.results[0].actions[0]).toMatchObject({
      type: 'reverse-rewards',
      outcome: 'would-write',
      reference: 'Z-9',
      wouldReverse: [],
    });
    // Once the order's reward exists, the same simulation names it, and still changes nothing.
    const ev = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type: 'order.paid',
        participant: { id: 's1', email: 's1@example.com' },
        data: { orderId: 'Z-9' },
      })
      .expect(202);
    await eventually(async () => {
      const got = await t.http.get(`/v1/events/${ev.body.id}`).set(bearer(p.secretKey));
      return got.body.status === 'processed';
    });
    const rewardId = (
      await t.app
        .get(DataSource)
        .getRepository(Reward)
        .findOneByOrFail({ programId: p.id, reference: 'Z-9' })
    ).id;
    const again = await simulate('order.refunded');
    expect(again.body.results[0].actions[0].wouldReverse).toEqual([
      { rewardId, from: 'pending', to: 'cancelled' },
    ]);
    expect((await t.http.get(`/v1/rewards/${rewardId}`).set(bearer(p.secretKey))).body.status).toBe(
      'pending',
    );
  });
});
