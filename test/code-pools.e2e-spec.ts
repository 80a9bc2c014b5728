import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { CodePool } from '../src/code-pools/code-pool.entity';
import { PoolCode } from '../src/code-pools/pool-code.entity';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { Reward } from '../src/rewards/reward.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

const withRedis = !!process.env.REDIS_URL;

describe('Code pools (e2e)', () => {
  let smtp: SmtpTestServer;
  let t: TestApp;
  let db: DataSource;
  const queuePrefix = `rncp${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      queuePrefix,
      env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const api = (p: ProgramKeys) => ({
    post: (path: string) => t.http.post(path).set(bearer(p.secretKey)),
    get: (path: string) => t.http.get(path).set(bearer(p.secretKey)),
    patch: (path: string) => t.http.patch(path).set(bearer(p.secretKey)),
    put: (path: string) => t.http.put(path).set(bearer(p.secretKey)),
    del: (path: string) => t.http.delete(path).set(bearer(p.secretKey)),
  });
  const createPool = async (p: ProgramKeys, name: string, lowStockThreshold?: number) =>
    (
      await api(p)
        .post('/v1/code-pools')
        .send({ name, ...(lowStockThreshold !== undefined ? { lowStockThreshold } : {}) })
        .expect(201)
    ).body as { id: string };
  const addCodes = async (p: ProgramKeys, poolId: string, codes: string[]) =>
    (await api(p).post(`/v1/code-pools/${poolId}/codes`).send({ codes }).expect(200)).body;
  const codeRule = (p: ProgramKeys, event: string, poolId: string, extra = {}) =>
    api(p)
      .post('/v1/rules')
      .send({
        name: `Coupon on ${event}`,
        event,
        actions: [
          {
            type: 'reward',
            to: 'participant',
            kind: 'discount',
            amount: 20,
            currency: 'USD',
            codePool: poolId,
            ...extra,
          },
        ],
      });
  /** Sends an event and waits until its rules ran. */
  const send = async (p: ProgramKeys, type: string, participantId: string) => {
    const res = await api(p)
      .post('/v1/events')
      .send({
        type,
        participant: { id: participantId, email: `${participantId}@example.com` },
        idempotencyKey: `k-${randomBytes(6).toString('hex')}`,
      })
      .expect(202);
    return eventually(async () => {
      const ev = await api(p).get(`/v1/events/${res.body.id}`);
      if (ev.body.status === 'failed') throw new Error(JSON.stringify(ev.body));
      return ev.body.status === 'processed' ? ev.body : undefined;
    });
  };
  const rewardOf = async (p: ProgramKeys, participantId: string) => {
    const [reward] = await db.getRepository(Reward).findBy({ programId: p.id, participantId });
    return (await api(p).get(`/v1/rewards/${reward.id}`).expect(200)).body;
  };
  const alertsTo = (p: ProgramKeys, address: string) =>
    db
      .getRepository(Message)
      .findBy({ programId: p.id, templateKey: 'program-alert', toEmail: address });

  describe('the API', () => {
    let p: ProgramKeys;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'Pools API' });
    });

    it('creates a pool and shows its stock in the list and by id', async () => {
      const created = await api(p)
        .post('/v1/code-pools')
        .send({ name: 'Spring coupons', lowStockThreshold: 2 })
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'Spring coupons',
        lowStockThreshold: 2,
        available: 0,
        assigned: 0,
        lowStock: true,
      });
      await addCodes(p, created.body.id, ['A1', 'A2', 'A3']);
      const one = await api(p).get(`/v1/code-pools/${created.body.id}`).expect(200);
      expect(one.body).toMatchObject({ available: 3, assigned: 0, lowStock: false });
      const list = await api(p).get('/v1/code-pools').expect(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({ id: created.body.id, available: 3, lowStock: false }),
      ]);
      // The codes themselves are never listed.
      expect(JSON.stringify(list.body)).not.toContain('A1');
    });

    it('refuses a second pool of the same name with 409 CODE_POOL_NAME_TAKEN, and a bad threshold with 400', async () => {
      await createPool(p, 'Unique name');
      const again = await api(p).post('/v1/code-pools').send({ name: 'Unique name' }).expect(409);
      expect(again.body.code).toBe('CODE_POOL_NAME_TAKEN');
      const bad = await api(p)
        .post('/v1/code-pools')
        .send({ name: 'Negative', lowStockThreshold: -1 })
        .expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });

    it('adds a JSON list and counts the duplicates within the upload and in the pool', async () => {
      const pool = await createPool(p, 'JSON upload');
      const first = await addCodes(p, pool.id, ['J1', 'J2', 'J2', ' J3 ']);
      expect(first).toMatchObject({ added: 3, duplicates: 1, released: 0 });
      expect(first.pool).toMatchObject({ available: 3 });
      const second = await addCodes(p, pool.id, ['J3', 'J4']);
      expect(second).toMatchObject({ added: 1, duplicates: 1 });
      expect(second.pool.available).toBe(4);
    });

    it('adds CSV with an optional header, one code per row, and counts its duplicates', async () => {
      const pool = await createPool(p, 'CSV upload');
      const res = await api(p)
        .post(`/v1/code-pools/${pool.id}/codes`)
        .set('Content-Type', 'text/csv')
        .send('code\nC-1\nC-2\n\nC-1\n"C,3"\n')
        .expect(200);
      expect(res.body).toMatchObject({ added: 3, duplicates: 1, pool: { available: 3 } });
      const again = await api(p)
        .post(`/v1/code-pools/${pool.id}/codes`)
        .set('Content-Type', 'text/csv')
        .send('C-2\nC-4\n')
        .expect(200);
      expect(again.body).toMatchObject({ added: 1, duplicates: 1, pool: { available: 4 } });
      const stored = await db.getRepository(PoolCode).findBy({ poolId: pool.id });
      expect(stored.map((c) => c.code).sort()).toEqual(['C,3', 'C-1', 'C-2', 'C-4']);
    });

    it('refuses an upload without codes or with an invalid code, adding nothing', async () => {
      const pool = await createPool(p, 'Refusals');
      const empty = await api(p).post(`/v1/code-pools/${pool.id}/codes`).send({ codes: [] });
      expect(empty.status).toBe(400);
      expect(empty.body.code).toBe('CODES_MISSING');
      const invalid = await api(p)
        .post(`/v1/code-pools/${pool.id}/codes`)
        .send({ codes: ['OK-1', 'x'.repeat(201)] })
        .expect(400);
      expect(invalid.body).toMatchObject({ code: 'CODE_INVALID' });
      expect(invalid.body.message).toContain('Code number 2');
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body.available).toBe(0);
    });

    it('deletes an unassigned code; an unknown one is 404 CODE_NOT_FOUND', async () => {
      const pool = await createPool(p, 'Deletes');
      await addCodes(p, pool.id, ['D/1', 'D2']);
      await api(p)
        .del(`/v1/code-pools/${pool.id}/codes/${encodeURIComponent('D/1')}`)
        .expect(204);
      const gone = await api(p).del(`/v1/code-pools/${pool.id}/codes/D-none`).expect(404);
      expect(gone.body.code).toBe('CODE_NOT_FOUND');
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body.available).toBe(1);
    });

    it("answers 404 for another program's pool on every route", async () => {
      const pool = await createPool(p, 'Private');
      await addCodes(p, pool.id, ['P1']);
      const other = await t.createProgram({ name: 'Other program' });
      const get = await api(other).get(`/v1/code-pools/${pool.id}`).expect(404);
      expect(get.body.code).toBe('CODE_POOL_NOT_FOUND');
      await api(other)
        .post(`/v1/code-pools/${pool.id}/codes`)
        .send({ codes: ['X'] })
        .expect(404);
      await api(other).del(`/v1/code-pools/${pool.id}/codes/P1`).expect(404);
      expect((await api(other).get('/v1/code-pools').expect(200)).body.items).toEqual([]);
      // Nor can its rules name it.
      const rule = await codeRule(other, 'sale', pool.id).expect(400);
      expect(rule.body.details).toEqual([
        expect.objectContaining({ field: 'actions[0].codePool', code: 'CODE_POOL_NOT_FOUND' }),
      ]);
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body.available).toBe(1);
    });
  });

  describe('rules', () => {
    it('refuses a rule naming a pool the program does not have, and codePool with a hold', async () => {
      const p = await t.createProgram({ name: 'Rule checks' });
      const missing = await codeRule(p, 'sale', '6f1c2f0e-0000-4000-8000-000000000000').expect(400);
      expect(missing.body.code).toBe('RULE_INVALID');
      expect(missing.body.details[0]).toMatchObject({
        field: 'actions[0].codePool',
        code: 'CODE_POOL_NOT_FOUND',
      });
      expect(missing.body.message).toContain('POST /v1/code-pools');
      const pool = await createPool(p, 'Held');
      const held = await codeRule(p, 'sale', pool.id, { hold: 'P1D' }).expect(400);
      expect(held.body.details[0]).toMatchObject({ field: 'actions[0].codePool' });
    });

    it('gives the reward one code, shown on the reward and as {{reward.code}} in its email; an assigned code cannot be deleted', async () => {
      const p = await t.createProgram({ name: 'Claims' });
      await api(p)
        .put('/v1/templates/reward-earned/en')
        .send({
          // reward.code is null for rewards without a pool: the template shows it when there.
          subject: 'Your reward{{#if reward.code}}: code {{reward.code}}{{/if}}',
          html: '<p>{{#if reward.code}}Use {{reward.code}} at checkout{{/if}}</p>',
        })
        .expect(201);
      const pool = await createPool(p, 'Claim pool');
      await addCodes(p, pool.id, ['ONLY-CODE']);
      await codeRule(p, 'sale', pool.id).expect(201);
      const ev = await send(p, 'sale', 'claimer');
      expect(ev.results[0].actions[0]).toMatchObject({ outcome: 'written', status: 'available' });
      const reward = await rewardOf(p, 'claimer');
      expect(reward).toMatchObject({ status: 'available', code: 'ONLY-CODE', codePoolId: pool.id });
      const mail = await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('claimer@example.com')),
      );
      expect(mail.subject).toBe('Your reward: code ONLY-CODE');
      expect(mail.html).toContain('Use ONLY-CODE at checkout');
      const stock = (await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body;
      expect(stock).toMatchObject({ available: 0, assigned: 1 });
      const refused = await api(p).del(`/v1/code-pools/${pool.id}/codes/ONLY-CODE`).expect(409);
      expect(refused.body.code).toBe('CODE_ASSIGNED');
    });

    it('leaves rewards pending CODE_POOL_EMPTY and hands codes added later to them oldest first, with their emails', async () => {
      const p = await t.createProgram({ name: 'Waiting' });
      const pool = await createPool(p, 'Empty pool');
      await codeRule(p, 'sale', pool.id).expect(201);
      for (const id of ['w1', 'w2', 'w3']) await send(p, 'sale', id);
      for (const id of ['w1', 'w2', 'w3']) {
        expect(await rewardOf(p, id)).toMatchObject({
          status: 'pending',
          pendingReason: 'CODE_POOL_EMPTY',
          code: null,
        });
      }
      const pendingMails = await db
        .getRepository(Message)
        .findBy({ programId: p.id, templateKey: 'reward-pending' });
      expect(pendingMails).toHaveLength(3);
      const told = await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('w2@example.com')),
      );
      expect(told.text).toContain('Your code is being prepared');
      // A person cannot approve a reward that waits for a code.
      const w1 = await rewardOf(p, 'w1');
      const approve = await api(p).patch(`/v1/rewards/${w1.id}`).send({ status: 'available' });
      expect(approve.status).toBe(409);

      const added = await addCodes(p, pool.id, ['LATE-1', 'LATE-2']);
      expect(added).toMatchObject({ added: 2, released: 2, pool: { available: 0, assigned: 2 } });
      const [r1, r2, r3] = [
        await rewardOf(p, 'w1'),
        await rewardOf(p, 'w2'),
        await rewardOf(p, 'w3'),
      ];
      expect(r1).toMatchObject({ status: 'available', pendingReason: null });
      expect(r2).toMatchObject({ status: 'available', pendingReason: null });
      expect(new Set([r1.code, r2.code])).toEqual(new Set(['LATE-1', 'LATE-2']));
      expect(r3).toMatchObject({ status: 'pending', pendingReason: 'CODE_POOL_EMPTY', code: null });
      expect(r1.history.at(-1)).toMatchObject({
        from: 'pending',
        to: 'available',
        actor: 'system',
      });
      const earned = async () =>
        (await db.getRepository(Message).findBy({ programId: p.id, templateKey: 'reward-earned' }))
          .map((m) => m.participantId)
          .sort();
      expect(await earned()).toEqual(['w1', 'w2']);
      const mail = await eventually(async () =>
        smtp.received.find(
          (m) => m.envelope.rcptTo.includes('w1@example.com') && m.text?.includes(r1.code),
        ),
      );
      expect(mail.text).toContain(`Your code: ${r1.code}`);

      await addCodes(p, pool.id, ['LATE-3']);
      expect(await rewardOf(p, 'w3')).toMatchObject({ status: 'available', code: 'LATE-3' });
      expect(await earned()).toEqual(['w1', 'w2', 'w3']);
    });

    it('puts the code of a cancelled reward back in the pool, where the oldest waiting reward gets it; a denied waiting reward leaves the queue', async () => {
      const p = await t.createProgram({ name: 'Give back' });
      const pool = await createPool(p, 'Back pool');
      await addCodes(p, pool.id, ['BACK-1']);
      await codeRule(p, 'sale', pool.id).expect(201);
      for (const id of ['g1', 'g2', 'g3']) await send(p, 'sale', id);
      const g1 = await rewardOf(p, 'g1');
      expect(g1.code).toBe('BACK-1');
      const g2 = await rewardOf(p, 'g2');
      expect(g2.pendingReason).toBe('CODE_POOL_EMPTY');
      // g2 is denied while it waits: it never gets a code.
      await api(p)
        .patch(`/v1/rewards/${g2.id}`)
        .send({ status: 'denied', reason: 'duplicate order' })
        .expect(200);
      const cancelled = await api(p)
        .patch(`/v1/rewards/${g1.id}`)
        .send({ status: 'cancelled', reason: 'order cancelled' })
        .expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', code: null });
      // In the cancellation's transaction the code goes to the oldest reward still waiting.
      const g3 = await rewardOf(p, 'g3');
      expect(g3).toMatchObject({ status: 'available', code: 'BACK-1' });
      expect((await rewardOf(p, 'g2')).status).toBe('denied');
      const row = await db
        .getRepository(PoolCode)
        .findOneByOrFail({ poolId: pool.id, code: 'BACK-1' });
      expect(row).toMatchObject({ status: 'assigned', rewardId: g3.id });
    });

    it('puts the code of a denied reward back: one held for review by the fraud checks had its code reserved', async () => {
      const p = await t.createProgram({
        name: 'Denied back',
        settings: {
          fraud: { mode: 'enforce', selfReferral: { sameEmail: true }, onMatch: 'hold' },
        },
      });
      const pool = await createPool(p, 'Review pool');
      await addCodes(p, pool.id, ['REVIEW-1']);
      await codeRule(p, 'sale', pool.id).expect(201);
      // The referrer is the participant under another address: held for review.
      const res = await api(p)
        .post('/v1/events')
        .send({
          type: 'sale',
          participant: { id: 'friend', email: 'same.person+friend@example.com' },
          referrer: { id: 'referrer', email: 'same.person@example.com' },
        })
        .expect(202);
      await eventually(async () => {
        const ev = await api(p).get(`/v1/events/${res.body.id}`);
        return ev.body.status === 'processed';
      });
      const held = await rewardOf(p, 'friend');
      expect(held).toMatchObject({
        status: 'pending',
        pendingReason: 'FRAUD_REVIEW',
        code: 'REVIEW-1',
      });
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body).toMatchObject({
        available: 0,
        assigned: 1,
      });
      const denied = await api(p)
        .patch(`/v1/rewards/${held.id}`)
        .send({ status: 'denied', reason: 'self-referral' })
        .expect(200);
      expect(denied.body).toMatchObject({ status: 'denied', code: null });
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body).toMatchObject({
        available: 1,
        assigned: 0,
      });
      // Back in the pool, it goes to the next reward.
      await send(p, 'sale', 'next');
      expect(await rewardOf(p, 'next')).toMatchObject({ status: 'available', code: 'REVIEW-1' });
    });

    it('makes a reward held for review from an empty pool wait for a code when approved, never available without one', async () => {
      const p = await t.createProgram({
        name: 'Approved empty',
        settings: {
          fraud: { mode: 'enforce', selfReferral: { sameEmail: true }, onMatch: 'hold' },
        },
      });
      const pool = await createPool(p, 'Dry pool');
      await codeRule(p, 'sale', pool.id).expect(201);
      const res = await api(p)
        .post('/v1/events')
        .send({
          type: 'sale',
          participant: { id: 'friend', email: 'dry+friend@example.com' },
          referrer: { id: 'referrer', email: 'dry@example.com' },
        })
        .expect(202);
      await eventually(
        async () => (await api(p).get(`/v1/events/${res.body.id}`)).body.status === 'processed',
      );
      const held = await rewardOf(p, 'friend');
      expect(held).toMatchObject({ status: 'pending', pendingReason: 'FRAUD_REVIEW', code: null });
      const approved = await api(p)
        .patch(`/v1/rewards/${held.id}`)
        .send({ status: 'available', reason: 'checked by hand' })
        .expect(200);
      expect(approved.body).toMatchObject({
        status: 'pending',
        pendingReason: 'CODE_POOL_EMPTY',
        code: null,
      });
      await addCodes(p, pool.id, ['DRY-1']);
      expect(await rewardOf(p, 'friend')).toMatchObject({ status: 'available', code: 'DRY-1' });
    });

    it('gives a waiting reward a code that arrived without its release pass, at the next sweep', async () => {
      const p = await t.createProgram({ name: 'Swept' });
      const pool = await createPool(p, 'Swept pool');
      await codeRule(p, 'sale', pool.id).expect(201);
      await send(p, 'sale', 'sw1');
      expect(await rewardOf(p, 'sw1')).toMatchObject({ pendingReason: 'CODE_POOL_EMPTY' });
      // As if the process that added it had stopped right after its commit.
      await db.getRepository(PoolCode).insert({
        id: randomUUID(),
        programId: p.id,
        poolId: pool.id,
        code: 'SWEPT-1',
        status: 'available',
        rewardId: null,
        assignedAt: null,
        createdAt: new Date(),
      });
      const swept = await eventually(async () => {
        const r = await rewardOf(p, 'sw1');
        return r.status === 'available' ? r : undefined;
      });
      expect(swept.code).toBe('SWEPT-1');
    });

    it('simulates the pool outcome without claiming a code', async () => {
      const p = await t.createProgram({ name: 'Simulated' });
      const pool = await createPool(p, 'Sim pool');
      await codeRule(p, 'sale', pool.id).expect(201);
      const simulate = async () =>
        (
          await api(p)
            .post('/v1/rules/simulate')
            .send({ event: { type: 'sale', participant: { id: 's1', email: 's1@example.com' } } })
            .expect(200)
        ).body.results[0].actions[0];
      expect(await simulate()).toMatchObject({
        outcome: 'would-write',
        status: 'pending',
        pendingReason: 'CODE_POOL_EMPTY',
        codePool: { id: pool.id, outcome: 'would-wait', available: 0 },
      });
      await addCodes(p, pool.id, ['SIM-1']);
      expect(await simulate()).toMatchObject({
        status: 'available',
        codePool: { id: pool.id, outcome: 'would-get-code', available: 1 },
      });
      expect(await simulate()).toMatchObject({ codePool: { available: 1 } });
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body).toMatchObject({
        available: 1,
        assigned: 0,
      });
    });

    it('alerts settings.alertEmail once per crossing of the low-stock threshold, again only after the stock went back above it', async () => {
      const p = await t.createProgram({
        name: 'Low stock',
        settings: { alertEmail: 'ops@acme.test' },
      });
      const pool = await createPool(p, 'Alerting pool', 2);
      await addCodes(p, pool.id, ['L1', 'L2', 'L3', 'L4']);
      await codeRule(p, 'sale', pool.id).expect(201);
      await send(p, 'sale', 'l1');
      await send(p, 'sale', 'l2');
      // 2 left: at the threshold.
      await eventually(async () => (await alertsTo(p, 'ops@acme.test')).length === 1);
      await send(p, 'sale', 'l3');
      await send(p, 'sale', 'l4');
      await send(p, 'sale', 'l5');
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body).toMatchObject({
        available: 0,
        lowStock: true,
      });
      // The one waiting reward takes a code; three stay: above the threshold, the alert re-arms.
      await addCodes(p, pool.id, ['L5', 'L6', 'L7', 'L8']);
      const alerts = async () => (await alertsTo(p, 'ops@acme.test')).length;
      expect(await alerts()).toBe(1);
      await send(p, 'sale', 'l6');
      await eventually(async () => (await alerts()) === 2);
      await send(p, 'sale', 'l7');
      const mail = await eventually(async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes('ops@acme.test')),
      );
      expect(mail.subject).toBe('Low stock: a code pool is running low');
      expect(mail.text).toContain('Alerting pool: 2 codes left (low-stock threshold 2)');
      // Wait for the after-commit checks of the last claims, then count once more.
      await eventually(async () => {
        const l7 = await rewardOf(p, 'l7');
        return l7.status === 'available';
      });
      expect(await alerts()).toBe(2);
      const [first, second] = (await alertsTo(p, 'ops@acme.test')).map((m) => m.dedupeKey).sort();
      expect(first).not.toBe(second);
    });
  });

  describe('concurrency', () => {
    // With Redis, a second process with the worker role takes jobs from the same queue; without
    // it (the in-process queue) one process runs them, and SQLite writes one at a time anyway.
    let second: TestApp | undefined;
    beforeAll(async () => {
      if (withRedis)
        second = await startTestApp({
          role: 'worker',
          queuePrefix,
          fresh: false,
          dataDir: t.dataDir,
          env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' },
        });
    });
    afterAll(async () => {
      await second?.close();
    });

    it(`gives 200 concurrent rewards the 150 codes of a pool, each once${withRedis ? ', across two worker processes' : ''}; 50 added codes go to the 50 waiting`, async () => {
      const p = await t.createProgram({
        name: 'Rush',
        settings: { alertEmail: 'rush@acme.test' },
      });
      const pool = await createPool(p, 'Rush pool', 20);
      await addCodes(
        p,
        pool.id,
        Array.from({ length: 150 }, (_, i) => `RUSH-${i}`),
      );
      await codeRule(p, 'sale', pool.id).expect(201);
      const ids = Array.from({ length: 200 }, (_, i) => `rush-${i}`);
      const accepted = await Promise.all(
        ids.map((id) =>
          api(p)
            .post('/v1/events')
            .send({ type: 'sale', participant: { id, email: `${id}@example.com` } })
            .expect(202),
        ),
      );
      const eventIds = accepted.map((r) => r.body.id as string);
      await eventually(
        async () =>
          (await db
            .getRepository(ProgramEvent)
            .countBy({ id: In(eventIds), status: 'processed' })) === 200,
        120_000,
        250,
      );
      const rewards = await db.getRepository(Reward).findBy({ programId: p.id });
      expect(rewards).toHaveLength(200);
      const withCode = rewards.filter((r) => r.code !== null);
      expect(withCode).toHaveLength(150);
      expect(withCode.every((r) => r.status === 'available')).toBe(true);
      expect(new Set(withCode.map((r) => r.code)).size).toBe(150);
      const waiting = rewards.filter((r) => r.code === null);
      expect(waiting).toHaveLength(50);
      expect(
        waiting.every((r) => r.status === 'pending' && r.pendingReason === 'CODE_POOL_EMPTY'),
      ).toBe(true);
      // Each pool row names the reward that holds its code, and the reward holds that code.
      const rows = await db.getRepository(PoolCode).findBy({ poolId: pool.id });
      const byReward = new Map(rewards.map((r) => [r.id, r]));
      expect(rows.filter((c) => c.status === 'assigned')).toHaveLength(150);
      for (const row of rows.filter((c) => c.status === 'assigned'))
        expect(byReward.get(row.rewardId!)?.code).toBe(row.code);
      if (second) {
        // Both processes evaluated events: the claims really raced across processes.
        const processedBy = async (app: TestApp) => {
          const text = (await app.http.get('/metrics').expect(200)).text;
          const line = text
            .split('\n')
            .find((l) => l.startsWith('events_total{outcome="processed"}'));
          return line ? Number(line.split(' ')[1]) : 0;
        };
        expect(await processedBy(t)).toBeGreaterThan(0);
        expect(await processedBy(second)).toBeGreaterThan(0);
      }

      const added = await addCodes(
        p,
        pool.id,
        Array.from({ length: 50 }, (_, i) => `MORE-${i}`),
      );
      expect(added).toMatchObject({ added: 50, duplicates: 0 });
      const all = await eventually(async () => {
        const now = await db.getRepository(Reward).findBy({ programId: p.id });
        return now.every((r) => r.status === 'available') ? now : undefined;
      });
      expect(new Set(all.map((r) => r.code)).size).toBe(200);
      expect(all.every((r) => r.code !== null)).toBe(true);
      const assigned = await db
        .getRepository(PoolCode)
        .findBy({ poolId: pool.id, status: 'assigned' });
      expect(assigned).toHaveLength(200);
      expect(new Set(assigned.map((c) => c.rewardId)).size).toBe(200);
      expect((await api(p).get(`/v1/code-pools/${pool.id}`).expect(200)).body).toMatchObject({
        available: 0,
        assigned: 200,
        lowStock: true,
      });
      // Every reward's email followed: reward-earned once each.
      const earned = await db
        .getRepository(Message)
        .findBy({ programId: p.id, templateKey: 'reward-earned' });
      expect(new Set(earned.map((m) => m.participantId)).size).toBe(200);
      expect(earned).toHaveLength(200);
      // The stock crossed the threshold once and never rose above it again (the 50 codes went to
      // the waiting rewards in the transaction that added them): one alert, one crossing.
      await eventually(async () => (await alertsTo(p, 'rush@acme.test')).length >= 1);
      expect(await alertsTo(p, 'rush@acme.test')).toHaveLength(1);
      expect(await db.getRepository(CodePool).findOneByOrFail({ id: pool.id })).toMatchObject({
        lowStockAlerted: true,
        lowStockAlerts: 1,
      });
    }, 180_000);
  });
});
