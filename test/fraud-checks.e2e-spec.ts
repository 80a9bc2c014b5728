import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { Reward } from '../src/rewards/reward.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };
type Person = { id: string; email: string };
type Context = { ip?: string; userAgent?: string; deviceId?: string };

const REFERRAL_REWARD = {
  type: 'reward',
  to: 'referrer',
  kind: 'cash',
  amount: 20,
  currency: 'USD',
};

describe('Fraud checks of rewards (e2e)', () => {
  let smtp: SmtpTestServer;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({ env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  /** A program with `settings.fraud` and one rule rewarding the referrer of each signup. */
  const program = async (name: string, fraud: Record<string, unknown>, action = {}) => {
    const p = await t.createProgram({ name, settings: { fraud } });
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({ name: 'Referral', event: 'signup', actions: [{ ...REFERRAL_REWARD, ...action }] })
      .expect(201);
    return p;
  };

  /** Sends an event and waits until its rules ran; returns GET /v1/events/:id. */
  const send = async (
    p: ProgramKeys,
    type: string,
    participant: Person,
    referrer?: Person,
    context?: Context,
  ) => {
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type,
        participant,
        ...(referrer ? { referrer } : {}),
        ...(context ? { context } : {}),
        idempotencyKey: `k-${randomBytes(6).toString('hex')}`,
      })
      .expect(202);
    return eventually(async () => {
      const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
      if (ev.body.status === 'failed') throw new Error(JSON.stringify(ev.body));
      return ev.body.status === 'processed' ? ev.body : undefined;
    });
  };

  /** The reward the event's one rule action wrote, as GET /v1/rewards/:id shows it. */
  const rewardOf = async (p: ProgramKeys, event: { results: Array<{ actions: unknown[] }> }) => {
    const [action] = event.results[0].actions as Array<{ rewardId: string }>;
    return (await t.http.get(`/v1/rewards/${action.rewardId}`).set(bearer(p.secretKey)).expect(200))
      .body;
  };
  const messages = (p: ProgramKeys, templateKey: string, participantId: string) =>
    db.getRepository(Message).findBy({ programId: p.id, templateKey, participantId });
  const person = (id: string, email = `${id}@example.com`): Person => ({ id, email });

  describe('settings', () => {
    it('refuses invalid settings.fraud with 400 VALIDATION_FAILED naming each field', async () => {
      const p = await t.createProgram({ name: 'Settings' });
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ mode: 'sometimes' }, 'settings.fraud.mode', 'NOT_ALLOWED_VALUE'],
        [{}, 'settings.fraud.mode', 'REQUIRED'],
        [{ mode: 'enforce', onMatch: 'ban' }, 'settings.fraud.onMatch', 'NOT_ALLOWED_VALUE'],
        [
          { mode: 'enforce', selfReferral: { sameEmail: 'yes' } },
          'settings.fraud.selfReferral.sameEmail',
          'WRONG_TYPE',
        ],
        [
          { mode: 'enforce', selfReferral: { sameName: true } },
          'settings.fraud.selfReferral.sameName',
          'UNKNOWN_FIELD',
        ],
        [
          { mode: 'enforce', disposableDomains: 1 },
          'settings.fraud.disposableDomains',
          'WRONG_TYPE',
        ],
        [
          { mode: 'enforce', maxRewardsPerReferrer: { count: 0, per: 'P1D' } },
          'settings.fraud.maxRewardsPerReferrer.count',
          'TOO_SMALL',
        ],
        [
          { mode: 'enforce', maxRewardsPerReferrer: { count: 5, per: 'P1M' } },
          'settings.fraud.maxRewardsPerReferrer.per',
          'INVALID_FORMAT',
        ],
        [
          { mode: 'enforce', maxRewardsPerReferrer: { count: 5 } },
          'settings.fraud.maxRewardsPerReferrer.per',
          'REQUIRED',
        ],
      ];
      for (const [fraud, field, code] of cases) {
        const res = await t.http
          .patch('/v1/program')
          .set(bearer(p.secretKey))
          .send({ settings: { fraud } })
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ field, code })]),
        );
      }
      const months = await t.http
        .patch('/v1/program')
        .set(bearer(p.secretKey))
        .send({
          settings: { fraud: { mode: 'observe', maxRewardsPerReferrer: { count: 5, per: 'P1M' } } },
        })
        .expect(400);
      expect(months.body.details[0].message).toMatch(/counts years or months.*write days instead/);
    });

    it('stores valid settings, shown by GET /v1/program', async () => {
      const p = await t.createProgram({ name: 'Settings ok' });
      const fraud = {
        mode: 'observe',
        selfReferral: { sameEmail: true, sameIp: true, sameDevice: false },
        disposableDomains: true,
        maxRewardsPerReferrer: { count: 10, per: 'P7D' },
        onMatch: 'deny',
      };
      await t.http
        .patch('/v1/program')
        .set(bearer(p.secretKey))
        .send({ settings: { fraud } })
        .expect(200);
      const res = await t.http.get('/v1/program').set(bearer(p.secretKey)).expect(200);
      expect(res.body.settings.fraud).toEqual(fraud);
    });
  });

  describe('event context', () => {
    it('refuses an invalid context with 400 naming the field', async () => {
      const p = await t.createProgram({ name: 'Context' });
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ ip: '999.1.1.1' }, 'context.ip', 'INVALID_FORMAT'],
        [{ ip: 'localhost' }, 'context.ip', 'INVALID_FORMAT'],
        [{ deviceId: 'a\nb' }, 'context.deviceId', 'INVALID_CHARACTERS'],
        [{ deviceId: '' }, 'context.deviceId', 'TOO_SHORT'],
        [{ userAgent: 'x'.repeat(501) }, 'context.userAgent', 'TOO_LONG'],
        [{ country: 'NL' }, 'context.country', 'UNKNOWN_FIELD'],
      ];
      for (const [context, field, code] of cases) {
        const res = await t.http
          .post('/v1/events')
          .set(bearer(p.secretKey))
          .send({ type: 'signup', participant: person('c1'), context })
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.details).toEqual([expect.objectContaining({ field, code })]);
      }
    });

    it('keeps the context with the event and shows it in GET /v1/events/:id', async () => {
      const p = await t.createProgram({ name: 'Context ok' });
      const context = { ip: '2001:db8::7', userAgent: 'Mozilla/5.0 (X11)', deviceId: 'dev-1' };
      const ev = await send(p, 'visit', person('c2'), undefined, context);
      expect(ev.context).toEqual(context);
      const bare = await send(p, 'visit', person('c2'));
      expect(bare.context).toBeNull();
    });
  });

  describe('self-referral by email (enforce, deny)', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await program('Same email', { mode: 'enforce', onMatch: 'deny' });
    });

    it('denies the reward of a Gmail address referring itself in another spelling, with reward-denied', async () => {
      const ev = await send(
        p,
        'signup',
        person('e-friend', 'J.Doe+promo@googlemail.com'),
        person('e-ref', 'jdoe@gmail.com'),
      );
      expect(ev.results[0].actions[0]).toMatchObject({
        outcome: 'written',
        status: 'denied',
        fraud: {
          mode: 'enforce',
          verdict: 'match',
          reasons: ['SELF_REFERRAL_SAME_EMAIL'],
          action: 'deny',
        },
      });
      const reward = await rewardOf(p, ev);
      expect(reward).toMatchObject({
        status: 'denied',
        statusReason: 'SELF_REFERRAL_SAME_EMAIL',
        pendingReason: null,
        fraud: { verdict: 'match', reasons: ['SELF_REFERRAL_SAME_EMAIL'], action: 'deny' },
      });
      expect(reward.history.map((h: { to: string }) => h.to)).toEqual(['pending', 'denied']);
      expect(reward.history[1]).toMatchObject({
        reason: 'SELF_REFERRAL_SAME_EMAIL',
        actor: expect.stringMatching(/^rule:/),
      });
      expect(await messages(p, 'reward-earned', 'e-ref')).toHaveLength(0);
      expect(await messages(p, 'reward-pending', 'e-ref')).toHaveLength(0);
      const [denied] = await messages(p, 'reward-denied', 'e-ref');
      expect(denied.data).toMatchObject({ reasonCode: 'SELF_REFERRAL_SAME_EMAIL' });
      const mail = await eventually(async () =>
        smtp.received.find(
          (m) => m.envelope.rcptTo.includes('jdoe@gmail.com') && /Reason:/.test(m.text ?? ''),
        ),
      );
      expect(mail.text).toContain('the referral came from the same email address as the referrer');
    });

    it('does not match two addresses that differ by dots at a non-Gmail domain', async () => {
      const ev = await send(
        p,
        'signup',
        person('e-friend2', 'jane.doe@company.io'),
        person('e-ref2', 'janedoe@company.io'),
      );
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'available',
        fraud: { mode: 'enforce', verdict: 'clear', reasons: [], action: 'none' },
      });
      expect((await rewardOf(p, ev)).status).toBe('available');
      expect(await messages(p, 'reward-earned', 'e-ref2')).toHaveLength(1);
    });
  });

  describe('self-referral by IP and device (enforce, hold)', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await program('Same IP', {
        mode: 'enforce',
        selfReferral: { sameEmail: true, sameIp: true, sameDevice: true },
      });
      // The referrers' own earlier events tell their IPs and devices.
      await send(p, 'login', person('ip-ref'), undefined, { ip: '203.0.113.10' });
      await send(p, 'login', person('dev-ref'), undefined, { deviceId: 'device-abc' });
    });

    it('holds the reward pending FRAUD_REVIEW when the participant acts from the referrer’s IP', async () => {
      const ev = await send(p, 'signup', person('ip-friend'), person('ip-ref'), {
        ip: '::ffff:203.0.113.10',
      });
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'pending',
        pendingReason: 'FRAUD_REVIEW',
        fraud: { reasons: ['SELF_REFERRAL_SAME_IP'], action: 'hold' },
      });
      const reward = await rewardOf(p, ev);
      expect(reward).toMatchObject({ status: 'pending', pendingReason: 'FRAUD_REVIEW' });
      expect(await messages(p, 'reward-pending', 'ip-ref')).toHaveLength(1);
      expect(await messages(p, 'reward-earned', 'ip-ref')).toHaveLength(0);
      const mail = await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('ip-ref@example.com')),
      );
      expect(mail.text).toContain('Our team is reviewing it');

      // Approved through the usual route: available, and reward-earned goes out.
      const approved = await t.http
        .patch(`/v1/rewards/${reward.id}`)
        .set(bearer(p.secretKey))
        .send({ status: 'available', reason: 'checked: flatmates' })
        .expect(200);
      expect(approved.body).toMatchObject({ status: 'available', pendingReason: null });
      expect(await messages(p, 'reward-earned', 'ip-ref')).toHaveLength(1);
    });

    it('does not match a participant acting from another IP', async () => {
      const ev = await send(p, 'signup', person('ip-friend2'), person('ip-ref'), {
        ip: '198.51.100.20',
      });
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'available',
        fraud: { verdict: 'clear', reasons: [] },
      });
    });

    it('holds the reward when the participant uses the referrer’s device', async () => {
      const ev = await send(p, 'signup', person('dev-friend'), person('dev-ref'), {
        deviceId: 'device-abc',
        ip: '198.51.100.30',
      });
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'pending',
        pendingReason: 'FRAUD_REVIEW',
        fraud: { reasons: ['SELF_REFERRAL_SAME_DEVICE'], action: 'hold' },
      });
    });

    it('does not match a participant on another device', async () => {
      const ev = await send(p, 'signup', person('dev-friend2'), person('dev-ref'), {
        deviceId: 'device-xyz',
      });
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'available',
        fraud: { verdict: 'clear' },
      });
    });
  });

  describe('disposable domains (enforce, deny)', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await program('Disposable', { mode: 'enforce', onMatch: 'deny' });
    });

    it('denies the reward when the referred friend signs up at a disposable domain', async () => {
      const ev = await send(
        p,
        'signup',
        person('d-friend', 'someone@mailinator.com'),
        person('d-ref'),
      );
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'denied',
        fraud: { reasons: ['DISPOSABLE_DOMAIN'], action: 'deny' },
      });
      const [denied] = await messages(p, 'reward-denied', 'd-ref');
      expect(denied.data).toMatchObject({ reasonCode: 'DISPOSABLE_DOMAIN' });
    });

    it('does not match an ordinary provider', async () => {
      const ev = await send(
        p,
        'signup',
        person('d-friend2', 'someone@outlook.com'),
        person('d-ref'),
      );
      expect(ev.results[0].actions[0]).toMatchObject({
        status: 'available',
        fraud: { verdict: 'clear' },
      });
    });
  });

  describe('velocity (enforce, deny)', () => {
    it('denies the referrer’s reward past maxRewardsPerReferrer in the window, not before', async () => {
      const p = await program('Velocity', {
        mode: 'enforce',
        onMatch: 'deny',
        maxRewardsPerReferrer: { count: 2, per: 'P1D' },
      });
      const statuses: string[] = [];
      for (const n of [1, 2, 3]) {
        const ev = await send(p, 'signup', person(`v-friend${n}`), person('v-ref'));
        statuses.push(ev.results[0].actions[0].status);
      }
      expect(statuses).toEqual(['available', 'available', 'denied']);
      // Another referrer has a limit of its own.
      const other = await send(p, 'signup', person('v-friend4'), person('v-ref2'));
      expect(other.results[0].actions[0].status).toBe('available');
      const rewards = await db
        .getRepository(Reward)
        .findBy({ programId: p.id, participantId: 'v-ref' });
      const denied = rewards.filter((r) => r.status === 'denied');
      expect(denied).toHaveLength(1);
      expect(denied[0]).toMatchObject({
        statusReason: 'VELOCITY_LIMIT',
        fraud: { reasons: ['VELOCITY_LIMIT'] },
      });
      // A denied reward does not count: the limit is still two a day.
      const fourth = await send(p, 'signup', person('v-friend5'), person('v-ref'));
      expect(fourth.results[0].actions[0].fraud.reasons).toEqual(['VELOCITY_LIMIT']);
    });
  });

  describe('observe mode', () => {
    it('records the verdict on the reward and the event and changes nothing else', async () => {
      const p = await program('Observe', {
        mode: 'observe',
        onMatch: 'deny',
        selfReferral: { sameEmail: true, sameIp: true, sameDevice: true },
      });
      const ev = await send(
        p,
        'signup',
        person('o-friend', 'olga+friend@example.com'),
        person('o-ref', 'olga@example.com'),
      );
      const verdict = {
        mode: 'observe',
        verdict: 'match',
        reasons: ['SELF_REFERRAL_SAME_EMAIL'],
        action: 'none',
      };
      expect(ev.results[0].actions[0]).toMatchObject({ status: 'available', fraud: verdict });
      const reward = await rewardOf(p, ev);
      expect(reward).toMatchObject({ status: 'available', pendingReason: null, fraud: verdict });
      expect(reward.history.map((h: { to: string }) => h.to)).toEqual(['available']);
      expect(await messages(p, 'reward-earned', 'o-ref')).toHaveLength(1);
      expect(await messages(p, 'reward-denied', 'o-ref')).toHaveLength(0);
      await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('olga@example.com')),
      );
    });

    it('shows no verdict when the checks are off', async () => {
      const p = await program('Off', { mode: 'off' });
      const ev = await send(p, 'signup', person('f-friend', 'x@mailinator.com'), person('f-ref'));
      expect(ev.results[0].actions[0].status).toBe('available');
      expect(ev.results[0].actions[0].fraud).toBeUndefined();
      expect((await rewardOf(p, ev)).fraud).toBeNull();
    });
  });

  describe('POST /v1/rules/simulate', () => {
    it('shows the verdict and the state a reward action would get', async () => {
      const p = await program('Simulate', {
        mode: 'enforce',
        onMatch: 'hold',
        selfReferral: { sameDevice: true },
      });
      await send(p, 'login', person('s-ref'), undefined, { deviceId: 'dev-s' });
      const simulate = (context: Context) =>
        t.http
          .post('/v1/rules/simulate')
          .set(bearer(p.secretKey))
          .send({
            event: {
              type: 'signup',
              participant: person('s-friend'),
              referrer: person('s-ref'),
              context,
            },
          })
          .expect(200);
      const held = await simulate({ deviceId: 'dev-s' });
      expect(held.body.results[0].actions[0]).toMatchObject({
        outcome: 'would-write',
        status: 'pending',
        pendingReason: 'FRAUD_REVIEW',
        fraud: {
          mode: 'enforce',
          verdict: 'match',
          reasons: ['SELF_REFERRAL_SAME_DEVICE'],
          action: 'hold',
        },
      });
      const clear = await simulate({ deviceId: 'dev-other' });
      expect(clear.body.results[0].actions[0]).toMatchObject({
        status: 'available',
        fraud: { verdict: 'clear', action: 'none' },
      });
      // Nothing was written.
      expect(await db.getRepository(Reward).countBy({ programId: p.id })).toBe(0);
    });
  });
});
