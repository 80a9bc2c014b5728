import { DataSource } from 'typeorm';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { Participant } from '../src/participants/participant.entity';
import { Reward } from '../src/rewards/reward.entity';
import { RulesCache } from '../src/rules/rules-cache';
import { bearer, startTestApp, TestApp } from './support/test-app';

type Keys = { id: string; secretKey: string };

const US_PURCHASE = {
  all: [
    { fact: 'event', path: 'amount', operator: 'greaterThanInclusive', value: 50 },
    { fact: 'participant', path: 'country', operator: 'equal', value: 'US' },
  ],
};
const REFERRER_CASH = { type: 'reward', to: 'referrer', kind: 'cash', amount: 25, currency: 'USD' };

describe('Rules (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let a: Keys;
  let b: Keys;

  const post = (p: Keys, path: string, body: unknown) =>
    t.http
      .post(path)
      .set(bearer(p.secretKey))
      .send(body as object);
  const rule = (over: Record<string, unknown> = {}) => ({
    name: 'US referrer bonus',
    event: 'purchase',
    conditions: US_PURCHASE,
    actions: [REFERRER_CASH],
    ...over,
  });

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    a = await t.createProgram({ name: 'Rules A' });
    b = await t.createProgram({ name: 'Rules B' });
  });
  afterAll(() => t.close());

  describe('CRUD', () => {
    it('creates a rule with defaults, normalised paths and version 1', async () => {
      const res = await post(a, '/v1/rules', rule()).expect(201);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'US referrer bonus',
        event: 'purchase',
        enabled: true,
        priority: 0,
        version: 1,
        conditions: {
          all: [
            { fact: 'event', path: '$.amount' },
            { fact: 'participant', path: '$.country' },
          ],
        },
        // A reward tells its recipient unless the rule says email: false.
        actions: [{ ...REFERRER_CASH, template: 'reward-earned' }],
      });
      const read = await t.http
        .get(`/v1/rules/${res.body.id}`)
        .set(bearer(a.secretKey))
        .expect(200);
      expect(read.body).toEqual(res.body);
    });

    it('lists the program’s rules, filtered by event type', async () => {
      const p = await t.createProgram({ name: 'Listing' });
      await post(p, '/v1/rules', rule({ name: 'one' })).expect(201);
      await post(p, '/v1/rules', rule({ name: 'two', event: 'signup', priority: 5 })).expect(201);
      const all = await t.http.get('/v1/rules').set(bearer(p.secretKey)).expect(200);
      expect(all.body.items.map((r: { name: string }) => r.name).sort()).toEqual(['one', 'two']);
      const signup = await t.http
        .get('/v1/rules?event=signup')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(signup.body.items).toEqual([expect.objectContaining({ name: 'two', priority: 5 })]);
    });

    it('raises the version on every change, and not on a change that changes nothing', async () => {
      const { body: created } = await post(a, '/v1/rules', rule()).expect(201);
      const patched = await t.http
        .patch(`/v1/rules/${created.id}`)
        .set(bearer(a.secretKey))
        .send({ priority: 3, enabled: false })
        .expect(200);
      expect(patched.body).toMatchObject({
        version: 2,
        priority: 3,
        enabled: false,
        name: created.name,
      });
      const same = await t.http
        .patch(`/v1/rules/${created.id}`)
        .set(bearer(a.secretKey))
        .send({ priority: 3 })
        .expect(200);
      expect(same.body.version).toBe(2);
      const cleared = await t.http
        .patch(`/v1/rules/${created.id}`)
        .set(bearer(a.secretKey))
        .send({ conditions: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ version: 3, conditions: null });
    });

    it('validates the whole rule again on PATCH', async () => {
      const { body: created } = await post(a, '/v1/rules', rule()).expect(201);
      const res = await t.http
        .patch(`/v1/rules/${created.id}`)
        .set(bearer(a.secretKey))
        .send({ actions: [{ ...REFERRER_CASH, amount: -5 }] })
        .expect(400);
      expect(res.body.code).toBe('RULE_INVALID');
      expect(res.body.details).toEqual([
        expect.objectContaining({ field: 'actions[0].amount', code: 'INVALID_AMOUNT' }),
      ]);
      const read = await t.http.get(`/v1/rules/${created.id}`).set(bearer(a.secretKey)).expect(200);
      expect(read.body.version).toBe(1);
    });

    it('deletes a rule', async () => {
      const { body: created } = await post(a, '/v1/rules', rule()).expect(201);
      await t.http.delete(`/v1/rules/${created.id}`).set(bearer(a.secretKey)).expect(204);
      await t.http.get(`/v1/rules/${created.id}`).set(bearer(a.secretKey)).expect(404);
      await t.http.delete(`/v1/rules/${created.id}`).set(bearer(a.secretKey)).expect(404);
    });

    it('answers 404 for another program’s rule, and changes nothing', async () => {
      const { body: created } = await post(a, '/v1/rules', rule()).expect(201);
      for (const res of [
        await t.http.get(`/v1/rules/${created.id}`).set(bearer(b.secretKey)),
        await t.http
          .patch(`/v1/rules/${created.id}`)
          .set(bearer(b.secretKey))
          .send({ enabled: false }),
        await t.http.delete(`/v1/rules/${created.id}`).set(bearer(b.secretKey)),
      ]) {
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 404,
          code: 'NOT_FOUND',
        });
      }
      const listed = await t.http.get('/v1/rules').set(bearer(b.secretKey)).expect(200);
      expect(listed.body.items.map((r: { id: string }) => r.id)).not.toContain(created.id);
      const read = await t.http.get(`/v1/rules/${created.id}`).set(bearer(a.secretKey)).expect(200);
      expect(read.body).toMatchObject({ enabled: true, version: 1 });
    });
  });

  describe('validation', () => {
    const problems = async (body: unknown) => {
      const res = await post(a, '/v1/rules', body).expect(400);
      return res.body as {
        code: string;
        message: string;
        details: Array<{ field: string; code: string; message: string }>;
      };
    };

    it('names an unknown operator and suggests the right one', async () => {
      const body = await problems(
        rule({
          conditions: { all: [{ fact: 'event', path: 'amount', operator: 'gte', value: 50 }] },
        }),
      );
      expect(body.code).toBe('RULE_INVALID');
      expect(body.details).toEqual([
        {
          field: 'conditions.all[0].operator',
          code: 'UNKNOWN_OPERATOR',
          message: expect.stringContaining('"gte"'),
        },
      ]);
      expect(body.message).toContain('greaterThanInclusive');
    });

    it('names an unknown fact', async () => {
      const body = await problems(
        rule({
          conditions: {
            any: [{ fact: 'order', path: 'total', operator: 'greaterThan', value: 1 }],
          },
        }),
      );
      expect(body.details).toEqual([
        {
          field: 'conditions.any[0].fact',
          code: 'UNKNOWN_FACT',
          message: expect.stringContaining('"order"'),
        },
      ]);
    });

    it('names an unknown template, and accepts it once the program has created it', async () => {
      const action = { type: 'email', template: 'friend-joined', to: 'referrer' };
      const body = await problems(rule({ actions: [REFERRER_CASH, action] }));
      expect(body.details).toEqual([
        {
          field: 'actions[1].template',
          code: 'UNKNOWN_TEMPLATE',
          message: expect.stringContaining('"friend-joined"'),
        },
      ]);
      await t.http
        .put('/v1/templates/friend-joined/en')
        .set(bearer(a.secretKey))
        .send({
          subject: 'Your friend joined {{program.name}}',
          html: '<p>Good news from {{program.name}}.</p>',
        })
        .expect(201);
      await post(a, '/v1/rules', rule({ actions: [REFERRER_CASH, action] })).expect(201);
      // Another program's template is not this program's.
      const other = await post(b, '/v1/rules', rule({ actions: [action] })).expect(400);
      expect(other.body.details[0]).toMatchObject({
        field: 'actions[0].template',
        code: 'UNKNOWN_TEMPLATE',
      });
    });

    it('refuses templates only the system sends', async () => {
      const body = await problems(
        rule({ actions: [{ type: 'email', template: 'w9-required', to: 'participant' }] }),
      );
      expect(body.details).toEqual([
        expect.objectContaining({ field: 'actions[0].template', code: 'RESERVED_TEMPLATE' }),
      ]);
    });

    it('lists every problem at once', async () => {
      const body = await problems(
        rule({
          conditions: {
            all: [
              { fact: 'event', path: 'amount', operator: 'gte', value: 50 },
              { fact: 'buyer', operator: 'equal', value: 1 },
            ],
          },
          actions: [{ type: 'reward', to: 'friend', kind: 'cash', amount: 10, currency: 'usd' }],
        }),
      );
      expect(body.details.map((d) => [d.field, d.code])).toEqual([
        ['conditions.all[0].operator', 'UNKNOWN_OPERATOR'],
        ['conditions.all[1].fact', 'UNKNOWN_FACT'],
        ['actions[0].to', 'INVALID_ACTION'],
        ['actions[0].currency', 'INVALID_CURRENCY'],
      ]);
      expect(body.message).toContain('4 problems');
    });

    it('answers wrong types with VALIDATION_FAILED', async () => {
      const res = await post(a, '/v1/rules', {
        name: 'x',
        event: 'purchase',
        actions: 'send an email',
        extra: true,
      }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'actions',
        'extra',
      ]);
    });
  });

  describe('the rules cache', () => {
    it('uses a change at once, in this process and in another one on the same database', async () => {
      const p = await t.createProgram({ name: 'Cache' });
      const { body: created } = await post(p, '/v1/rules', rule()).expect(201);
      const other = await startTestApp({ fresh: false, dataDir: t.dataDir });
      try {
        const here = t.app.get(RulesCache);
        const there = other.app.get(RulesCache);
        expect((await here.enabledRules(p.id, 'purchase')).map((r) => r.version)).toEqual([1]);
        expect((await there.enabledRules(p.id, 'purchase')).map((r) => r.version)).toEqual([1]);
        await t.http
          .patch(`/v1/rules/${created.id}`)
          .set(bearer(p.secretKey))
          .send({ priority: 7 })
          .expect(200);
        expect(
          (await there.enabledRules(p.id, 'purchase')).map((r) => [r.version, r.priority]),
        ).toEqual([[2, 7]]);
        await other.http
          .patch(`/v1/rules/${created.id}`)
          .set(bearer(p.secretKey))
          .send({ enabled: false })
          .expect(200);
        expect(await here.enabledRules(p.id, 'purchase')).toEqual([]);
        await post(p, '/v1/rules', rule({ name: 'second' })).expect(201);
        expect((await there.enabledRules(p.id, 'purchase')).map((r) => r.name)).toEqual(['second']);
      } finally {
        await other.close();
      }
    });
  });

  describe('simulate', () => {
    const counts = async (programId: string) => ({
      events: await db.getRepository(ProgramEvent).countBy({ programId }),
      rewards: await db.getRepository(Reward).countBy({ programId }),
      messages: await db.getRepository(Message).countBy({ programId }),
      participants: await db.getRepository(Participant).countBy({ programId }),
    });
    const event = (over: Record<string, unknown> = {}) => ({
      type: 'purchase',
      participant: { id: 'sim-buyer', email: 'buyer@example.com', country: 'US' },
      referrer: { id: 'sim-referrer', email: 'ref@example.com' },
      data: { amount: 80 },
      ...over,
    });

    it('shows what would match and run, and writes nothing', async () => {
      const p = await t.createProgram({ name: 'Simulate' });
      const { body: bonus } = await post(p, '/v1/rules', rule({ priority: 10 })).expect(201);
      const { body: welcome } = await post(
        p,
        '/v1/rules',
        rule({
          name: 'Everyone',
          conditions: undefined,
          actions: [
            {
              type: 'reward',
              to: 'participant',
              kind: 'points',
              amount: 100,
              currency: 'USD',
              email: false,
            },
          ],
        }),
      ).expect(201);
      await post(p, '/v1/rules', rule({ name: 'Other type', event: 'signup' })).expect(201);
      const before = await counts(p.id);

      const res = await post(p, '/v1/rules/simulate', { event: event() }).expect(200);
      expect(res.body.matches).toEqual([
        { ruleId: bonus.id, ruleName: bonus.name, ruleVersion: 1 },
        { ruleId: welcome.id, ruleName: 'Everyone', ruleVersion: 1 },
      ]);
      expect(res.body.results[0]).toEqual({
        ruleId: bonus.id,
        ruleName: bonus.name,
        ruleVersion: 1,
        matched: true,
        failedConditions: [],
        actions: [
          {
            index: 0,
            type: 'reward',
            to: 'referrer',
            recipientId: 'sim-referrer',
            kind: 'cash',
            amount: 25,
            currency: 'USD',
            template: 'reward-earned',
            outcome: 'would-write',
            status: 'available',
          },
        ],
      });
      expect(res.body.results[1].actions).toEqual([
        expect.objectContaining({
          to: 'participant',
          recipientId: 'sim-buyer',
          kind: 'points',
          outcome: 'would-write',
        }),
      ]);

      const miss = await post(p, '/v1/rules/simulate', {
        event: event({
          referrer: undefined,
          data: { amount: 30 },
          participant: { id: 'sim-buyer', email: 'buyer@example.com', country: 'CA' },
        }),
      }).expect(200);
      expect(miss.body.matches.map((m: { ruleId: string }) => m.ruleId)).toEqual([welcome.id]);
      expect(miss.body.results[0]).toMatchObject({
        ruleId: bonus.id,
        matched: false,
        actions: [],
        failedConditions: [
          expect.objectContaining({
            fact: 'event',
            path: '$.amount',
            operator: 'greaterThanInclusive',
            expected: 50,
            actual: 30,
          }),
          expect.objectContaining({
            fact: 'participant',
            path: '$.country',
            operator: 'equal',
            expected: 'US',
            actual: 'CA',
          }),
        ],
      });
      expect(await counts(p.id)).toEqual(before);
    });

    it('skips an action whose recipient is missing, as a real run would', async () => {
      const p = await t.createProgram({ name: 'Simulate no referrer' });
      await post(p, '/v1/rules', rule({ conditions: undefined })).expect(201);
      const res = await post(p, '/v1/rules/simulate', {
        event: event({ referrer: undefined }),
      }).expect(200);
      expect(res.body.results[0].actions).toEqual([
        expect.objectContaining({
          outcome: 'skipped',
          reason: 'RECIPIENT_MISSING',
          recipientId: null,
        }),
      ]);
    });

    it('runs without the email of a participant that does not exist yet, and says a real event needs it', async () => {
      const res = await post(a, '/v1/rules/simulate', {
        event: event({ participant: { id: 'nobody-yet' } }),
      }).expect(200);
      expect(res.body.eventNeeds).toEqual([
        expect.objectContaining({
          field: 'event.participant.email',
          code: 'PARTICIPANT_EMAIL_REQUIRED',
        }),
      ]);
      const bad = await post(a, '/v1/rules/simulate', {
        event: { participant: { id: 'x' } },
      }).expect(400);
      expect(bad.body.details).toEqual([expect.objectContaining({ field: 'event.type' })]);
    });

    it('reads a stored participant, with what the event sends on top', async () => {
      const p = await t.createProgram({ name: 'Simulate stored' });
      await t.http
        .put('/v1/participants/known')
        .set(bearer(p.secretKey))
        .send({ email: 'known@example.com', country: 'US' })
        .expect(201);
      await post(
        p,
        '/v1/rules',
        rule({
          actions: [
            { type: 'reward', to: 'participant', kind: 'cash', amount: 5, currency: 'USD' },
          ],
        }),
      ).expect(201);
      const stored = await post(p, '/v1/rules/simulate', {
        event: { type: 'purchase', participant: { id: 'known' }, data: { amount: 60 } },
      }).expect(200);
      expect(stored.body.matches).toHaveLength(1);
      const moved = await post(p, '/v1/rules/simulate', {
        event: {
          type: 'purchase',
          participant: { id: 'known', country: 'MX' },
          data: { amount: 60 },
        },
      }).expect(200);
      expect(moved.body.matches).toEqual([]);
      const read = await t.http.get('/v1/participants/known').set(bearer(p.secretKey)).expect(200);
      expect(read.body.country).toBe('US');
    });
  });

  it('serves the rules routes in the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/rules',
        '/v1/rules/{id}',
        '/v1/rules/simulate',
        '/v1/events',
        '/v1/events/{id}',
        '/v1/rewards',
        '/v1/rewards/{id}',
      ]),
    );
  });
});
