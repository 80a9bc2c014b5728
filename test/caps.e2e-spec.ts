import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app.config';
import { Message } from '../src/messages/message.entity';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };
interface ActionResult {
  type: string;
  outcome: string;
  reason?: string;
  message?: string;
  rewardId?: string;
  messageId?: string;
  recipientId: string;
}

const csrfOf = (html: string): string => {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1];
};

describe('Caps on what one event, one program and one test send may do (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  const MAX_RULES = 12;
  const TEST_SENDS = 3;

  const createRule = (p: ProgramKeys, body: Record<string, unknown>) =>
    t.http.post('/v1/rules').set(bearer(p.secretKey)).send(body);

  async function processed(p: ProgramKeys, body: Record<string, unknown>) {
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({ idempotencyKey: randomUUID(), ...body })
      .expect(202);
    return eventually(async () => {
      const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
      if (ev.body.status === 'failed') throw new Error(`event failed: ${JSON.stringify(ev.body)}`);
      return ev.body.status === 'processed' ? ev.body : undefined;
    });
  }
  const actionsOf = (event: { results: Array<{ actions: ActionResult[] }> }) =>
    event.results.flatMap((r) => r.actions);

  beforeAll(async () => {
    t = await startTestApp({
      env: { MAX_RULES_PER_PROGRAM: String(MAX_RULES), TEST_SENDS_PER_HOUR: String(TEST_SENDS) },
    });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('has the documented defaults: 5 emails, 1,000 rules, 30 test sends an hour', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({
      MAX_EMAILS_PER_EVENT_RECIPIENT: 5,
      MAX_RULES_PER_PROGRAM: 1000,
      TEST_SENDS_PER_HOUR: 30,
    });
    expect(() => loadConfig({ MAX_EMAILS_PER_EVENT_RECIPIENT: '0' })).toThrow(
      /MAX_EMAILS_PER_EVENT_RECIPIENT/,
    );
  });

  describe('emails per event and recipient (MAX_EMAILS_PER_EVENT_RECIPIENT)', () => {
    let p: ProgramKeys;

    beforeAll(async () => {
      p = await t.createProgram({ name: 'Flood' });
      await t.http
        .put('/v1/templates/burst/en')
        .set(bearer(p.secretKey))
        .send({ subject: 'Burst', html: '<p>Hello {{default recipient.firstName "there"}}</p>' })
        .expect(201);
      // The audit: 10 rules of 20 email actions each on one event type.
      for (let r = 0; r < 10; r++) {
        await createRule(p, {
          name: `Burst ${r}`,
          event: 'burst',
          actions: Array.from({ length: 20 }, () => ({
            type: 'email',
            template: 'burst',
            to: 'participant',
          })),
        }).expect(201);
      }
    });

    it('writes 5 of the 200 emails to one address and records the other 195 as skipped', async () => {
      const event = await processed(p, {
        type: 'burst',
        participant: { id: 'flooded', email: 'flooded@example.com' },
      });
      const actions = actionsOf(event);
      expect(actions).toHaveLength(200);
      expect(actions.slice(0, 5).every((a) => a.outcome === 'written' && a.messageId)).toBe(true);
      const skipped = actions.slice(5);
      expect(
        skipped.every((a) => a.outcome === 'skipped' && a.reason === 'EMAIL_CAP_REACHED'),
      ).toBe(true);
      expect(skipped[0].message).toContain('MAX_EMAILS_PER_EVENT_RECIPIENT');
      expect(
        await db
          .getRepository(Message)
          .countBy({ programId: p.id, toEmail: 'flooded@example.com' }),
      ).toBe(5);

      // The cap is per event: the next one may write 5 more.
      await processed(p, { type: 'burst', participant: { id: 'flooded' } });
      expect(
        await db
          .getRepository(Message)
          .countBy({ programId: p.id, toEmail: 'flooded@example.com' }),
      ).toBe(10);
    });

    it('counts each recipient on its own, and writes rewards past the cap without their email', async () => {
      await createRule(p, {
        name: 'Both',
        event: 'mixed',
        actions: [
          ...Array.from({ length: 4 }, () => ({
            type: 'email',
            template: 'burst',
            to: 'referrer',
          })),
          ...Array.from({ length: 3 }, () => ({
            type: 'reward',
            to: 'referrer',
            kind: 'points',
            amount: 10,
            currency: 'USD',
            template: 'burst',
          })),
          { type: 'email', template: 'burst', to: 'participant' },
        ],
      }).expect(201);
      const event = await processed(p, {
        type: 'mixed',
        participant: { id: 'buyer', email: 'buyer@example.com' },
        referrer: { id: 'ref', email: 'ref@example.com' },
      });
      const actions = actionsOf(event);
      const rewards = actions.filter((a) => a.type === 'reward');
      // 4 emails, then the first reward's email makes 5; the other two rewards come without.
      expect(rewards.map((a) => [a.outcome, !!a.rewardId, !!a.messageId, a.reason])).toEqual([
        ['written', true, true, undefined],
        ['written', true, false, 'EMAIL_CAP_REACHED'],
        ['written', true, false, 'EMAIL_CAP_REACHED'],
      ]);
      expect(rewards[1].message).toMatch(/^The reward was written; its email was not\./);
      expect(actions.at(-1)).toMatchObject({ recipientId: 'buyer', outcome: 'written' });
      const list = await t.http
        .get('/v1/rewards?participantId=ref')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(list.body.items).toHaveLength(3);
      expect(
        await db.getRepository(Message).countBy({ programId: p.id, toEmail: 'ref@example.com' }),
      ).toBe(5);
    });

    it('shows the cap in a simulation too', async () => {
      const res = await t.http
        .post('/v1/rules/simulate')
        .set(bearer(p.secretKey))
        .send({ event: { type: 'burst', participant: { id: 'sim', email: 'sim@example.com' } } })
        .expect(200);
      const actions = (res.body.results as Array<{ actions: ActionResult[] }>).flatMap(
        (r) => r.actions,
      );
      expect(actions.filter((a) => a.outcome === 'would-write')).toHaveLength(5);
      expect(actions.filter((a) => a.reason === 'EMAIL_CAP_REACHED')).toHaveLength(195);
    });
  });

  describe('rules per program (MAX_RULES_PER_PROGRAM)', () => {
    const rule = (n: number) => ({
      name: `Rule ${n}`,
      event: `e.${n}`,
      actions: [{ type: 'email', template: 'reward-earned', to: 'participant' }],
    });

    it('answers 409 RULE_LIMIT_REACHED for one more, and takes one again after a delete', async () => {
      const p = await t.createProgram({ name: 'Many rules' });
      const ids: string[] = [];
      for (let n = 0; n < MAX_RULES; n++)
        ids.push((await createRule(p, rule(n)).expect(201)).body.id as string);
      const refused = await createRule(p, rule(MAX_RULES)).expect(409);
      expect(refused.body.code).toBe('RULE_LIMIT_REACHED');
      expect(refused.body.message).toContain(`MAX_RULES_PER_PROGRAM is ${MAX_RULES}`);
      expect(refused.body.message).toContain('DELETE /v1/rules/:id');
      // Changing a rule is not creating one.
      await t.http
        .patch(`/v1/rules/${ids[0]}`)
        .set(bearer(p.secretKey))
        .send({ enabled: false })
        .expect(200);
      // Another program has its own count.
      await createRule(await t.createProgram({ name: 'Few rules' }), rule(0)).expect(201);

      await t.http.delete(`/v1/rules/${ids[0]}`).set(bearer(p.secretKey)).expect(204);
      await createRule(p, rule(MAX_RULES)).expect(201);
      await createRule(p, rule(MAX_RULES + 1)).expect(409);
    });

    it('lets only one of several creates at once take the last place', async () => {
      const p = await t.createProgram({ name: 'Race for rules' });
      for (let n = 0; n < MAX_RULES - 1; n++) await createRule(p, rule(n)).expect(201);
      const statuses = await Promise.all(
        Array.from({ length: 6 }, (_, i) => createRule(p, rule(100 + i)).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(5);
      const list = await t.http.get('/v1/rules').set(bearer(p.secretKey)).expect(200);
      expect(list.body.items).toHaveLength(MAX_RULES);
    });
  });

  describe('template test sends', () => {
    const testSend = (p: ProgramKeys, to: string, extra: Record<string, unknown> = {}) =>
      t.http
        .post('/v1/templates/reward-earned/test')
        .set(bearer(p.secretKey))
        .send({ to, ...extra });

    it("go only to the program's participants and its own addresses", async () => {
      const p = await t.createProgram({
        name: 'Own addresses',
        replyTo: 'reply@acme.test',
        settings: { alertEmail: 'alerts@acme.test' },
      });
      await t.http
        .put('/v1/participants/ana')
        .set(bearer(p.secretKey))
        .send({ email: 'Ana@Example.com' })
        .expect(201);
      const other = await t.createProgram({ name: 'Someone else' });
      await t.http
        .put('/v1/participants/bo')
        .set(bearer(other.secretKey))
        .send({ email: 'bo@example.com' })
        .expect(201);

      const refused = await testSend(p, 'stranger@example.com').expect(422);
      expect(refused.body).toMatchObject({
        code: 'TEST_RECIPIENT_NOT_ALLOWED',
        details: [expect.objectContaining({ field: 'to' })],
      });
      expect(refused.body.message).toContain('stranger@example.com');
      expect(refused.body.message).toContain('PUT /v1/participants/{id}');
      expect(refused.body.message).toContain('alertEmail');
      // Another program's participant is a stranger here.
      expect((await testSend(p, 'bo@example.com').expect(422)).body.code).toBe(
        'TEST_RECIPIENT_NOT_ALLOWED',
      );

      await testSend(p, 'ana@example.com').expect(202);
      await testSend(p, 'ALERTS@acme.test').expect(202);
      await testSend(p, 'reply@acme.test').expect(202);
      expect(
        await db.getRepository(Message).countBy({ programId: p.id, templateKey: 'reward-earned' }),
      ).toBe(3);
    });

    it('still answer 404 for an unknown template or participant, whatever the address', async () => {
      const p = await t.createProgram({ name: 'Lookups first' });
      const unknown = await t.http
        .post('/v1/templates/never-made/test')
        .set(bearer(p.secretKey))
        .send({ to: 'stranger@example.com' })
        .expect(404);
      expect(unknown.body.code).toBe('TEMPLATE_NOT_FOUND');
      await testSend(p, 'stranger@example.com', { participantId: 'nobody' }).expect(404);
    });

    it('are at most TEST_SENDS_PER_HOUR a program, then 429 RATE_LIMITED with Retry-After', async () => {
      const p = await t.createProgram({ name: 'Chatty', settings: { alertEmail: 'qa@acme.test' } });
      for (let i = 0; i < TEST_SENDS; i++) await testSend(p, 'qa@acme.test').expect(202);
      const limited = await testSend(p, 'qa@acme.test').expect(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(limited.body.message).toContain(`TEST_SENDS_PER_HOUR is ${TEST_SENDS}`);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      // A refused address is not a send: it does not count, and the limit does not hide it.
      expect((await testSend(p, 'stranger@example.com').expect(422)).body.code).toBe(
        'TEST_RECIPIENT_NOT_ALLOWED',
      );
      // Other programs have their own count.
      const fresh = await t.createProgram({
        name: 'Quiet',
        settings: { alertEmail: 'qa@acme.test' },
      });
      await testSend(fresh, 'qa@acme.test').expect(202);
    });

    it('are counted from the database: sends by other processes count, those over an hour old do not', async () => {
      const p = await t.createProgram({ name: 'Shared', settings: { alertEmail: 'qa@acme.test' } });
      const messages = db.getRepository(Message);
      const sent = await testSend(p, 'qa@acme.test').expect(202);
      const first = await messages.findOneByOrFail({ id: sent.body.messageId as string });
      // Copies, as another API process would have written them: two in the hour, one before it.
      const copy = (minutesAgo: number): Message => {
        const at = new Date(Date.now() - minutesAgo * 60_000);
        return Object.assign(new Message(), first, {
          id: randomUUID(),
          dedupeKey: `template-test:${randomUUID()}`,
          // Each message has a return path of its own.
          returnPathTag: null,
          createdAt: at,
          updatedAt: at,
        });
      };
      await messages.save([copy(90), copy(30), copy(20)]);
      const limited = await testSend(p, 'qa@acme.test').expect(429);
      expect(limited.body.message).toContain('sent 3 test emails in the last hour');
      // The one of 30 minutes ago leaves the hour first; the one of 90 minutes did not count.
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(30 * 60 - 60);
      expect(retryAfter).toBeLessThanOrEqual(30 * 60);
    });

    it('from the console follow the same rules', async () => {
      const p = await t.createProgram({ name: 'Console sends' });
      const agent = request.agent(t.app.getHttpServer());
      const form = await agent.get('/console/sign-in');
      await agent
        .post('/console/sign-in')
        .type('form')
        .send({ _csrf: csrfOf(form.text), secretKey: p.secretKey })
        .expect(303);
      const page = await agent.get('/console/templates/reward-earned/en').expect(200);
      const send = (to: string) =>
        agent
          .post('/console/templates/reward-earned/en/test')
          .type('form')
          .send({ _csrf: csrfOf(page.text), to });
      const refused = await send('stranger@example.com');
      expect(refused.status).toBe(422);
      expect(refused.text).toContain('TEST_RECIPIENT_NOT_ALLOWED');
      await t.http
        .put('/v1/participants/cami')
        .set(bearer(p.secretKey))
        .send({ email: 'cami@example.com' })
        .expect(201);
      const sent = await send('cami@example.com');
      expect(sent.status).toBe(200);
      expect(sent.text).toContain('Test email to cami@example.com queued.');
    });
  });
});
