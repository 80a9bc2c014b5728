import { readdir, readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { DataSource, In } from 'typeorm';
import { plainToInstance } from 'class-transformer';
import { CreateEventDto } from '../src/events/dto/event.dto';
import { EventEvaluationService } from '../src/events/event-evaluation.service';
import { EventsService } from '../src/events/events.service';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { Participant } from '../src/participants/participant.entity';
import { ParticipantsService } from '../src/participants/participants.service';
import { ProgramsService } from '../src/programs/programs.service';
import { JobQueue } from '../src/queue/job-queue.port';
import { RewardHooks } from '../src/rewards/reward-hooks';
import { Reward } from '../src/rewards/reward.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type Keys = { id: string; secretKey: string };

const US_PURCHASE_OVER_50 = {
  all: [
    { fact: 'event', path: 'amount', operator: 'greaterThanInclusive', value: 50 },
    { fact: 'participant', path: 'country', operator: 'equal', value: 'US' },
  ],
};
const REFERRER_25_USD = {
  type: 'reward',
  to: 'referrer',
  kind: 'cash',
  amount: 25,
  currency: 'USD',
};

let seq = 0;
const purchase = (over: Record<string, unknown> = {}) => {
  const n = ++seq;
  return {
    type: 'purchase',
    participant: {
      id: `buyer-${n}`,
      email: `buyer-${n}@example.com`,
      firstName: 'Bea',
      country: 'US',
    },
    referrer: {
      id: `referrer-${n}`,
      email: `referrer-${n}@example.com`,
      firstName: 'Rita',
      locale: 'en',
    },
    data: { amount: 80, orderId: `o-${n}` },
    ...over,
  };
};

describe('Events (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let smtp: SmtpTestServer;
  let hookFailures = 0;

  const post = (p: Keys, path: string, body: unknown) =>
    t.http
      .post(path)
      .set(bearer(p.secretKey))
      .send(body as object);
  const getEvent = (p: Keys, id: string) => t.http.get(`/v1/events/${id}`).set(bearer(p.secretKey));
  const settled = (p: Keys, id: string) =>
    eventually(async () => {
      const res = await getEvent(p, id);
      return res.body.status !== 'queued'
        ? (res.body as { status: string; results: any[]; error: string | null })
        : undefined;
    });
  const counts = async (programId: string) => ({
    events: await db.getRepository(ProgramEvent).countBy({ programId }),
    rewards: await db.getRepository(Reward).countBy({ programId }),
    messages: await db.getRepository(Message).countBy({ programId }),
    participants: await db.getRepository(Participant).countBy({ programId }),
  });
  /** A purchase stored as queued with no job, as if its job were still to run. */
  const storeQueued = async (
    programId: string,
    body: ReturnType<typeof purchase>,
    data: { amount: number },
  ) => {
    const id = randomUUID();
    const now = new Date();
    await db.getRepository(ProgramEvent).insert({
      id,
      programId,
      type: 'purchase',
      participantId: body.participant.id,
      referrerId: body.referrer.id,
      data,
      occurredAt: now,
      idempotencyKey: null,
      raw: {},
      status: 'queued',
      results: null,
      error: null,
      processedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    return id;
  };
  const messageSettled = (id: string) =>
    eventually(async () => {
      const m = await db.getRepository(Message).findOneByOrFail({ id });
      return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
    }, 20000);

  /** A program with the referral rule; with `smtp`, its mail goes to the test SMTP server. */
  const setup = async (opts: { smtp?: boolean; rule?: Record<string, unknown> } = {}) => {
    const name = `Acme ${++seq}`;
    const p = await t.createProgram({ name });
    if (opts.smtp) {
      await t.http
        .put('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .send({
          host: 'localhost',
          port: smtp.port,
          security: 'tls',
          username: 'mailer',
          password: 'app-password-1',
          fromAddress: 'rewards@acme.test',
          fromName: 'Acme Rewards',
        })
        .expect(200);
    }
    const rule = await post(p, '/v1/rules', {
      name: 'US referrer bonus',
      event: 'purchase',
      conditions: US_PURCHASE_OVER_50,
      actions: [REFERRER_25_USD],
      ...opts.rule,
    }).expect(201);
    return { p, name, rule: rule.body as { id: string; name: string } };
  };

  beforeAll(async () => {
    smtp = await SmtpTestServer.start({ users: { mailer: 'app-password-1' } });
    t = await startTestApp({
      env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '50' },
    });
    db = t.app.get(DataSource);
    // A switch for tests that need a write to fail inside the evaluation's transaction.
    t.app.get(RewardHooks).onRewardWritten(async () => {
      if (hookFailures > 0) {
        hookFailures--;
        throw new Error('the ledger is unavailable');
      }
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });
  beforeEach(() => smtp.reset());

  it('rewards the referrer of a matching purchase and emails them through the program’s SMTP server', async () => {
    const { p, name, rule } = await setup({ smtp: true });
    const body = purchase();
    const accepted = await post(p, '/v1/events', body).expect(202);
    expect(accepted.body).toEqual({ id: expect.any(String), status: 'queued' });

    const event = await settled(p, accepted.body.id);
    expect(event).toMatchObject({
      status: 'processed',
      participantId: body.participant.id,
      referrerId: body.referrer.id,
      data: body.data,
      error: null,
    });
    expect(event.results).toEqual([
      {
        ruleId: rule.id,
        ruleName: rule.name,
        ruleVersion: 1,
        matched: true,
        failedConditions: [],
        actions: [
          {
            index: 0,
            type: 'reward',
            to: 'referrer',
            recipientId: body.referrer.id,
            kind: 'cash',
            amount: 25,
            currency: 'USD',
            template: 'reward-earned',
            outcome: 'written',
            rewardId: expect.any(String),
            status: 'available',
            messageId: expect.any(String),
          },
        ],
      },
    ]);
    const [action] = event.results[0].actions;

    const rewards = await t.http
      .get(`/v1/rewards?participantId=${body.referrer.id}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(rewards.body.items).toEqual([
      expect.objectContaining({
        id: action.rewardId,
        participantId: body.referrer.id,
        ruleId: rule.id,
        ruleVersion: 1,
        eventId: accepted.body.id,
        kind: 'cash',
        amount: 25,
        currency: 'USD',
        taxableUsd: 25,
        status: 'available',
      }),
    ]);
    const buyer = await t.http
      .get(`/v1/rewards?participantId=${body.participant.id}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(buyer.body.items).toEqual([]);

    const [mail] = await smtp.waitForMessages(1, 15000);
    expect(mail.envelope.rcptTo).toEqual([body.referrer.email]);
    expect(mail.subject).toBe(`You’ve earned a reward from ${name}`);
    expect(mail.to).toMatchObject({ value: [{ address: body.referrer.email, name: 'Rita' }] });
    const sent = await messageSettled(action.messageId);
    expect({
      status: sent.status,
      transport: sent.transport,
      templateKey: sent.templateKey,
      toEmail: sent.toEmail,
      participantId: sent.participantId,
    }).toEqual({
      status: 'sent',
      transport: 'smtp',
      templateKey: 'reward-earned',
      toEmail: body.referrer.email,
      participantId: body.referrer.id,
    });
    // The participant and the referrer were upserted from the event.
    const referrer = await t.http
      .get(`/v1/participants/${body.referrer.id}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(referrer.body).toMatchObject({ email: body.referrer.email, firstName: 'Rita' });
  });

  it('writes the built-in sender’s email as an .eml addressed to the referrer', async () => {
    const { p } = await setup();
    const body = purchase();
    const { body: accepted } = await post(p, '/v1/events', body).expect(202);
    const event = await settled(p, accepted.id);
    const messageId = event.results[0].actions[0].messageId as string;
    const sent = await messageSettled(messageId);
    expect(sent.status).toBe('sent');
    const dir = join(t.dataDir, 'outbox', p.id);
    expect(await readdir(dir)).toEqual([`${messageId}.eml`]);
    const parsed = await simpleParser(await readFile(join(dir, `${messageId}.eml`)));
    expect(parsed.to).toMatchObject({ value: [{ address: body.referrer.email, name: 'Rita' }] });
    expect(parsed.subject).toContain('You’ve earned a reward from');
  });

  it('writes nothing for an event that does not match, and says which conditions failed with the values seen', async () => {
    const { p, rule } = await setup({ smtp: true });
    const body = purchase({ data: { amount: 30 } });
    body.participant.country = 'CA';
    const { body: accepted } = await post(p, '/v1/events', body).expect(202);
    const event = await settled(p, accepted.id);
    expect(event.status).toBe('processed');
    expect(event.results).toEqual([
      {
        ruleId: rule.id,
        ruleName: rule.name,
        ruleVersion: 1,
        matched: false,
        actions: [],
        failedConditions: [
          {
            conditionPath: 'conditions.all[0]',
            fact: 'event',
            path: '$.amount',
            operator: 'greaterThanInclusive',
            expected: 50,
            actual: 30,
            missing: false,
            negated: false,
          },
          {
            conditionPath: 'conditions.all[1]',
            fact: 'participant',
            path: '$.country',
            operator: 'equal',
            expected: 'US',
            actual: 'CA',
            missing: false,
            negated: false,
          },
        ],
      },
    ]);
    expect(await counts(p.id)).toMatchObject({ events: 1, rewards: 0, messages: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received).toHaveLength(0);
  });

  it('records an evaluation that writes nothing without a transaction, and one that writes in one', async () => {
    const { p } = await setup();
    // The people exist (stored by an event no rule listens to); the two events below are stored
    // as queued with no job, and evaluated here.
    const body = purchase();
    await post(p, '/v1/events', { ...body, type: 'signup' }).expect(202);
    const small = { id: await storeQueued(p.id, body, { amount: 10 }) };
    const large = { id: await storeQueued(p.id, body, { amount: 80 }) };
    const transactions = jest.spyOn(db, 'transaction');
    const evaluation = t.app.get(EventEvaluationService);
    try {
      expect(await evaluation.evaluate(small.id)).toEqual({
        outcome: 'processed',
        matched: 0,
        messages: 0,
        rewards: 0,
      });
      expect(transactions).not.toHaveBeenCalled();
      expect(await evaluation.evaluate(large.id)).toEqual({
        outcome: 'processed',
        matched: 1,
        messages: 1,
        rewards: 1,
      });
      expect(transactions).toHaveBeenCalledTimes(1);
    } finally {
      transactions.mockRestore();
    }
    expect(await db.getRepository(ProgramEvent).findOneByOrFail({ id: small.id })).toMatchObject({
      status: 'processed',
      processedAt: expect.any(Date),
    });
    expect(await counts(p.id)).toMatchObject({ events: 3, rewards: 1, messages: 1 });
  });

  it('marks an event of a type no enabled rule listens to processed, with no results and nothing written', async () => {
    const { p, rule } = await setup();
    const { body: signup } = await post(p, '/v1/events', { ...purchase(), type: 'signup' }).expect(
      202,
    );
    // Nothing to evaluate: the answer already says so.
    expect(signup.status).toBe('processed');
    expect(await settled(p, signup.id)).toMatchObject({
      status: 'processed',
      results: [],
      error: null,
      processedAt: expect.any(String),
    });
    // A disabled rule of the type counts as none; enabled again, the next event of the type runs it.
    await t.http
      .patch(`/v1/rules/${rule.id}`)
      .set(bearer(p.secretKey))
      .send({ enabled: false })
      .expect(200);
    const { body: off } = await post(p, '/v1/events', purchase()).expect(202);
    expect(await settled(p, off.id)).toMatchObject({ status: 'processed', results: [] });
    await t.http
      .patch(`/v1/rules/${rule.id}`)
      .set(bearer(p.secretKey))
      .send({ enabled: true })
      .expect(200);
    const { body: on } = await post(p, '/v1/events', purchase()).expect(202);
    expect(on.status).toBe('queued');
    expect((await settled(p, on.id)).results).toMatchObject([{ ruleId: rule.id, matched: true }]);
    expect(await counts(p.id)).toMatchObject({ events: 3, rewards: 1, messages: 1 });
  });

  it('skips an action for a referrer the event does not have, and records why', async () => {
    const { p } = await setup({ rule: { conditions: undefined } });
    const { body: accepted } = await post(
      p,
      '/v1/events',
      purchase({ referrer: undefined }),
    ).expect(202);
    const event = await settled(p, accepted.id);
    expect(event.results[0]).toMatchObject({
      matched: true,
      actions: [
        {
          index: 0,
          type: 'reward',
          to: 'referrer',
          recipientId: null,
          outcome: 'skipped',
          reason: 'RECIPIENT_MISSING',
          message: expect.stringContaining('referrer'),
        },
      ],
    });
    expect(await counts(p.id)).toMatchObject({ rewards: 0, messages: 0 });
  });

  it('runs email actions and rewards without email, in priority order', async () => {
    const { p } = await setup({
      rule: {
        conditions: undefined,
        actions: [
          { type: 'email', template: 'reward-earned', to: 'participant' },
          {
            type: 'reward',
            to: 'participant',
            kind: 'points',
            amount: 100,
            currency: 'USD',
            email: false,
            taxableUsd: 1.5,
          },
        ],
      },
    });
    await post(p, '/v1/rules', {
      name: 'Later',
      event: 'purchase',
      priority: -1,
      actions: [{ type: 'reward', to: 'referrer', kind: 'credit', amount: 10, currency: 'EUR' }],
    }).expect(201);
    const body = purchase();
    const { body: accepted } = await post(p, '/v1/events', body).expect(202);
    const event = await settled(p, accepted.id);
    expect(event.results.map((r) => r.ruleName)).toEqual(['US referrer bonus', 'Later']);
    const [email, points] = event.results[0].actions;
    expect(email).toMatchObject({
      type: 'email',
      outcome: 'written',
      messageId: expect.any(String),
    });
    expect(points).toMatchObject({
      type: 'reward',
      outcome: 'written',
      rewardId: expect.any(String),
    });
    expect(points.messageId).toBeUndefined();
    const { body: reward } = await t.http
      .get(`/v1/rewards/${points.rewardId}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(reward).toMatchObject({ kind: 'points', amount: 100, taxableUsd: 1.5 });
    const credit = await t.http
      .get(`/v1/rewards?participantId=${body.referrer.id}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(credit.body.items).toEqual([
      expect.objectContaining({ kind: 'credit', amount: 10, currency: 'EUR', taxableUsd: 0 }),
    ]);
    // Two emails: the email action and the credit's reward email.
    expect(await counts(p.id)).toMatchObject({ rewards: 2, messages: 2 });
  });

  describe('idempotency', () => {
    it('answers 50 concurrent posts with one key with one event, one reward and one email', async () => {
      const { p } = await setup({ smtp: true });
      const body = { ...purchase(), idempotencyKey: 'order-o-1' };
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => post(p, '/v1/events', body)),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(50).fill(202));
      const ids = new Set(answers.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      const [id] = ids;
      const event = await settled(p, id);
      expect(event.status).toBe('processed');
      await messageSettled(event.results[0].actions[0].messageId);
      await smtp.waitForMessages(1, 15000);
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.received).toHaveLength(1);
      expect(await counts(p.id)).toEqual({ events: 1, rewards: 1, messages: 1, participants: 2 });
    });

    it('takes the key from the Idempotency-Key header, and refuses a different one in the body', async () => {
      const { p } = await setup();
      const body = purchase();
      const first = await post(p, '/v1/events', body).set('Idempotency-Key', 'hdr-1').expect(202);
      const again = await post(p, '/v1/events', { ...body, idempotencyKey: 'hdr-1' }).expect(202);
      expect(again.body.id).toBe(first.body.id);
      const both = await post(p, '/v1/events', { ...body, idempotencyKey: 'hdr-1' })
        .set('Idempotency-Key', 'hdr-1')
        .expect(202);
      expect(both.body.id).toBe(first.body.id);
      const mismatch = await post(p, '/v1/events', { ...body, idempotencyKey: 'body-2' })
        .set('Idempotency-Key', 'hdr-1')
        .expect(400);
      expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
      await settled(p, first.body.id);
      const replay = await post(p, '/v1/events', body).set('Idempotency-Key', 'hdr-1').expect(202);
      expect(replay.body).toEqual({ id: first.body.id, status: 'processed' });
      expect((await counts(p.id)).events).toBe(1);
      // Keys are per program.
      const other = await setup();
      const elsewhere = await post(other.p, '/v1/events', purchase())
        .set('Idempotency-Key', 'hdr-1')
        .expect(202);
      expect(elsewhere.body.id).not.toBe(first.body.id);
    });

    it('keeps events without a key apart', async () => {
      const { p } = await setup();
      const body = purchase();
      const [x, y] = await Promise.all([post(p, '/v1/events', body), post(p, '/v1/events', body)]);
      expect(x.status).toBe(202);
      expect(y.status).toBe(202);
      expect(x.body.id).not.toBe(y.body.id);
      await settled(p, x.body.id);
      await settled(p, y.body.id);
      // Each event rewards once; the new participant raced in by both was created once.
      expect(await counts(p.id)).toMatchObject({ events: 2, rewards: 2, participants: 2 });
    });
  });

  describe('retries', () => {
    // A job that died after its transaction committed and before the queue heard of it runs
    // again: here the handler is invoked again for the same event, both as the queue would
    // (the event is processed) and as a run that loaded the event before the first commit did
    // (the event set back to queued, so every write is tried again and refused by its key).
    it('writes nothing new when the evaluation of a committed event runs again', async () => {
      const { p } = await setup({ smtp: true });
      const body = purchase();
      const { body: accepted } = await post(p, '/v1/events', body).expect(202);
      const first = await settled(p, accepted.id);
      const [action] = first.results[0].actions;
      await messageSettled(action.messageId);
      await smtp.waitForMessages(1, 15000);
      const before = await counts(p.id);
      const evaluation = t.app.get(EventEvaluationService);

      expect(await evaluation.evaluate(accepted.id, { attempt: 2, maxAttempts: 3 })).toEqual({
        outcome: 'skipped',
        reason: 'the event was already processed',
      });

      await db.getRepository(ProgramEvent).update({ id: accepted.id }, { status: 'queued' });
      // A later change to the stored participant does not change how this event is judged:
      // the country it sent is the one its conditions read.
      await db
        .getRepository(Participant)
        .update({ programId: p.id, id: body.participant.id }, { country: 'CA' });
      expect(await evaluation.evaluate(accepted.id, { attempt: 2, maxAttempts: 3 })).toEqual({
        outcome: 'processed',
        matched: 1,
        messages: 1,
        rewards: 0,
      });
      const second = await settled(p, accepted.id);
      expect(second.results[0].actions).toEqual([{ ...action, duplicate: true }]);

      await new Promise((r) => setTimeout(r, 500));
      expect(await counts(p.id)).toEqual(before);
      expect(smtp.received).toHaveLength(1);
      expect(
        (await db.getRepository(Message).findOneByOrFail({ id: action.messageId })).attempts,
      ).toBe(1);
    });

    it('rolls back a failed attempt whole and writes everything once on the retry', async () => {
      const { p } = await setup({
        rule: {
          actions: [
            { type: 'email', template: 'reward-earned', to: 'participant' },
            REFERRER_25_USD,
          ],
        },
      });
      hookFailures = 1;
      const { body: accepted } = await post(p, '/v1/events', purchase()).expect(202);
      const event = await settled(p, accepted.id);
      expect(hookFailures).toBe(0);
      expect(event).toMatchObject({ status: 'processed', error: null });
      expect(await counts(p.id)).toMatchObject({ rewards: 1, messages: 2 });
    });

    it('retries an event of a batch on its own when it fails, and lets the others of the batch through', async () => {
      const { p } = await setup();
      const program = (await t.app.get(ProgramsService).findById(p.id))!;
      const queue = t.app.get(JobQueue);
      const many = jest.spyOn(queue, 'enqueueMany');
      // The first failure rolls back the batch's one transaction; each event is then evaluated
      // on its own, and the second fails the event whose turn it is.
      hookFailures = 2;
      try {
        // Called in one turn of the event loop, the three are written as one batch, and evaluated by one job.
        const accepted = await Promise.all(
          [purchase(), purchase(), purchase()].map((body) =>
            t.app.get(EventsService).ingest(program, plainToInstance(CreateEventDto, body)),
          ),
        );
        const events = await Promise.all(accepted.map((a) => settled(p, a.id)));
        expect(events.map((e) => [e.status, e.error])).toEqual(
          Array.from({ length: 3 }, () => ['processed', null]),
        );
        expect(hookFailures).toBe(0);
        expect(await counts(p.id)).toMatchObject({ events: 3, rewards: 3, messages: 3 });
        const evaluations = many.mock.calls.filter(([name]) => name.startsWith('evaluate'));
        expect(evaluations.map(([name, jobs]) => [name, jobs.length])).toEqual([
          ['evaluate-events', 1],
          ['evaluate-event', 1],
        ]);
        expect((evaluations[0][1][0].payload as { eventIds: string[] }).eventIds).toEqual(
          accepted.map((a) => a.id),
        );
        // The one that failed, queued on its own after the backoff.
        expect(evaluations[1][1][0]).toMatchObject({
          options: { jobId: expect.stringMatching(/^evaluate:/), delayMs: 50 },
        });
      } finally {
        many.mockRestore();
      }
    });

    it('reads the events of a batch and their people once, and evaluates each as it would alone', async () => {
      const { p } = await setup();
      const [one, two] = [purchase(), purchase()];
      // Both pairs of people stored by events no rule listens to.
      for (const body of [one, two])
        await post(p, '/v1/events', { ...body, type: 'signup' }).expect(202);
      const ids = [
        await storeQueued(p.id, one, { amount: 80 }),
        await storeQueued(p.id, two, { amount: 10 }),
        await storeQueued(p.id, one, { amount: 90 }),
      ];
      const stranger = await storeQueued(
        p.id,
        { ...two, participant: { ...two.participant, id: 'never-stored' } },
        { amount: 80 },
      );
      const reads = jest.spyOn(t.app.get(ParticipantsService), 'findMany');
      const transactions = jest.spyOn(db, 'transaction');
      try {
        const outcome = await t.app
          .get(EventEvaluationService)
          .evaluateMany([...ids, randomUUID(), stranger]);
        // The stranger fails for good (no retry); the id that is not an event is skipped.
        expect(outcome).toEqual({ evaluated: 5, retried: 0 });
        // One read for the batch; the stranger's people, missing from it, are read again.
        expect(reads).toHaveBeenCalledTimes(2);
        // The effects of the three events are written in one transaction.
        expect(transactions).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
        transactions.mockRestore();
      }
      const stored = await db.getRepository(ProgramEvent).findBy({ id: In([...ids, stranger]) });
      const byId = new Map(stored.map((e) => [e.id, e]));
      expect(ids.map((id) => [byId.get(id)!.status, byId.get(id)!.results![0].matched])).toEqual([
        ['processed', true],
        ['processed', false],
        ['processed', true],
      ]);
      expect(byId.get(stranger)).toMatchObject({
        status: 'failed',
        error: 'Participant "never-stored" does not exist.',
      });
      expect(await counts(p.id)).toMatchObject({ rewards: 2, messages: 2 });
    });

    it('holds back, in a batch, the email of a suppressed address and of a category its recipient left', async () => {
      const { p } = await setup();
      const bodies = [purchase(), purchase(), purchase()];
      for (const body of bodies)
        await post(p, '/v1/events', { ...body, type: 'signup' }).expect(202);
      await t.http
        .put(`/v1/suppressions/${bodies[0].referrer.email}`)
        .set(bearer(p.secretKey))
        .send({ note: 'Asked by phone.' })
        .expect(201);
      await t.http
        .put(`/v1/participants/${bodies[1].referrer.id}/preferences`)
        .set(bearer(p.secretKey))
        .send({ categories: { rewards: false } })
        .expect(200);
      const ids = [];
      for (const body of bodies) ids.push(await storeQueued(p.id, body, { amount: 80 }));
      const transactions = jest.spyOn(db, 'transaction');
      try {
        expect(await t.app.get(EventEvaluationService).evaluateMany(ids)).toEqual({
          evaluated: 3,
          retried: 0,
        });
        expect(transactions).toHaveBeenCalledTimes(1);
      } finally {
        transactions.mockRestore();
      }
      const messages = await db.getRepository(Message).findBy({ programId: p.id });
      const of = (email: string) => messages.find((m) => m.toEmail === email);
      expect(of(bodies[0].referrer.email)).toMatchObject({
        status: 'suppressed',
        errorCode: 'RECIPIENT_SUPPRESSED',
      });
      expect(of(bodies[1].referrer.email)).toMatchObject({
        status: 'suppressed',
        errorCode: 'UNSUBSCRIBED',
      });
      expect(of(bodies[2].referrer.email)?.status).toMatch(/^(queued|sending|sent)$/);
      expect(await counts(p.id)).toMatchObject({ rewards: 3, messages: 3 });
    });

    it('marks the event failed with the error after the last attempt', async () => {
      const { p } = await setup();
      hookFailures = 3;
      const { body: accepted } = await post(p, '/v1/events', purchase()).expect(202);
      const event = await settled(p, accepted.id);
      expect(event).toMatchObject({ status: 'failed', error: 'the ledger is unavailable' });
      expect(hookFailures).toBe(0);
      expect(await counts(p.id)).toMatchObject({ rewards: 0, messages: 0 });
    });
  });

  describe('simulate against a real run', () => {
    it('matches the same rules as the real evaluation of the same event', async () => {
      const { p } = await setup();
      await post(p, '/v1/rules', {
        name: 'Big spender',
        event: 'purchase',
        conditions: {
          all: [{ fact: 'event', path: 'amount', operator: 'greaterThan', value: 1000 }],
        },
        actions: [REFERRER_25_USD],
      }).expect(201);
      await post(p, '/v1/rules', {
        name: 'Any purchase',
        event: 'purchase',
        priority: 9,
        actions: [
          { type: 'reward', to: 'participant', kind: 'points', amount: 1, currency: 'USD' },
        ],
      }).expect(201);
      for (const amount of [80, 30, 5000]) {
        const body = purchase({ data: { amount } });
        const before = await counts(p.id);
        const simulated = await post(p, '/v1/rules/simulate', { event: body }).expect(200);
        expect(await counts(p.id)).toEqual(before);
        const { body: accepted } = await post(p, '/v1/events', body).expect(202);
        const real = await settled(p, accepted.id);
        const simple = (results: any[]) =>
          results.map((r) => ({
            ruleId: r.ruleId,
            matched: r.matched,
            failed: r.failedConditions,
            actions: r.actions.map((a: any) => [a.index, a.type, a.recipientId]),
          }));
        expect(simulated.body.matches.map((m: any) => m.ruleId)).toEqual(
          real.results.filter((r) => r.matched).map((r) => r.ruleId),
        );
        expect(simple(simulated.body.results)).toEqual(simple(real.results));
      }
    });
  });

  describe('rewards', () => {
    const rewardFor = async (p: Keys) => {
      const { body: accepted } = await post(p, '/v1/events', purchase()).expect(202);
      const event = await settled(p, accepted.id);
      return event.results[0].actions[0].rewardId as string;
    };

    it('marks an available reward paid or cancelled once, and refuses any other change with 409', async () => {
      const { p } = await setup({ rule: { actions: [{ ...REFERRER_25_USD, email: false }] } });
      const paidId = await rewardFor(p);
      const paid = await t.http
        .patch(`/v1/rewards/${paidId}`)
        .set(bearer(p.secretKey))
        .send({ status: 'paid' })
        .expect(200);
      expect(paid.body).toMatchObject({
        id: paidId,
        status: 'paid',
        paidAt: expect.any(String),
        cancelledAt: null,
      });
      for (const status of ['paid', 'cancelled']) {
        const res = await t.http
          .patch(`/v1/rewards/${paidId}`)
          .set(bearer(p.secretKey))
          .send({ status })
          .expect(409);
        expect(res.body).toMatchObject({
          code: 'INVALID_TRANSITION',
          message: expect.stringContaining('it can become reversed'),
        });
      }
      const cancelledId = await rewardFor(p);
      const cancelled = await t.http
        .patch(`/v1/rewards/${cancelledId}`)
        .set(bearer(p.secretKey))
        .send({ status: 'cancelled' })
        .expect(200);
      expect(cancelled.body).toMatchObject({
        status: 'cancelled',
        cancelledAt: expect.any(String),
        paidAt: null,
      });
      await t.http
        .patch(`/v1/rewards/${cancelledId}`)
        .set(bearer(p.secretKey))
        .send({ status: 'paid' })
        .expect(409);
      const bad = await t.http
        .patch(`/v1/rewards/${cancelledId}`)
        .set(bearer(p.secretKey))
        .send({ status: 'expired' })
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const racing = await rewardFor(p);
      const both = await Promise.all([
        t.http.patch(`/v1/rewards/${racing}`).set(bearer(p.secretKey)).send({ status: 'paid' }),
        t.http
          .patch(`/v1/rewards/${racing}`)
          .set(bearer(p.secretKey))
          .send({ status: 'cancelled' }),
      ]);
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    });

    it('answers 404 for another program’s event and reward', async () => {
      const { p } = await setup({ rule: { actions: [{ ...REFERRER_25_USD, email: false }] } });
      const other = await setup();
      const { body: accepted } = await post(p, '/v1/events', purchase()).expect(202);
      const event = await settled(p, accepted.id);
      const rewardId = event.results[0].actions[0].rewardId as string;
      for (const res of [
        await getEvent(other.p, accepted.id),
        await t.http.get(`/v1/rewards/${rewardId}`).set(bearer(other.p.secretKey)),
        await t.http
          .patch(`/v1/rewards/${rewardId}`)
          .set(bearer(other.p.secretKey))
          .send({ status: 'paid' }),
      ]) {
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 404,
          code: 'NOT_FOUND',
        });
      }
      const listed = await t.http.get('/v1/rewards').set(bearer(other.p.secretKey)).expect(200);
      expect(listed.body.items).toEqual([]);
      const still = await t.http
        .get(`/v1/rewards/${rewardId}`)
        .set(bearer(p.secretKey))
        .expect(200);
      expect(still.body.status).toBe('available');
    });
  });

  describe('validation', () => {
    it('refuses a body without a participant id, unknown fields, and a bad occurredAt', async () => {
      const { p } = await setup();
      const res = await post(p, '/v1/events', {
        type: 'purchase',
        participant: { email: 'x@example.com', tier: 'gold' },
        occurredAt: 'yesterday',
        extra: 1,
      }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'extra',
        'occurredAt',
        'participant.id',
        'participant.tier',
      ]);
    });

    it('needs the email of a participant it has not seen, and stores nothing without it', async () => {
      const { p } = await setup();
      const res = await post(p, '/v1/events', {
        type: 'purchase',
        participant: { id: 'new-person' },
      }).expect(400);
      expect(res.body.code).toBe('PARTICIPANT_EMAIL_REQUIRED');
      expect(await counts(p.id)).toMatchObject({ events: 0, participants: 0 });
    });

    it('refuses a participant who refers themselves', async () => {
      const { p } = await setup();
      const res = await post(
        p,
        '/v1/events',
        purchase({ referrer: { id: 'same' }, participant: { id: 'same', email: 's@example.com' } }),
      ).expect(400);
      expect(res.body.code).toBe('REFERRER_IS_PARTICIPANT');
    });

    it('keeps the raw event and its occurredAt', async () => {
      const { p } = await setup();
      const body = purchase({ occurredAt: '2026-01-15T10:00:00Z' });
      const { body: accepted } = await post(p, '/v1/events', body).expect(202);
      const event = await getEvent(p, accepted.id).expect(200);
      expect(event.body.occurredAt).toBe('2026-01-15T10:00:00.000Z');
      const stored = await db.getRepository(ProgramEvent).findOneByOrFail({ id: accepted.id });
      expect(stored.raw).toEqual(body);
    });
  });
});
