import { DataSource } from 'typeorm';
import { Webhook } from 'standardwebhooks';
import { Message } from '../src/messages/message.entity';
import { WebhookDelivery } from '../src/webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../src/webhooks/webhook-endpoint.entity';
import { WebhookReceiver } from './support/webhook-receiver';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type Program = { id: string; secretKey: string };

describe('Webhooks (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let receiver: WebhookReceiver;
  let p: Program;
  let n = 0;

  const createEndpoint = async (events: string[], url = receiver.url) => {
    const res = await t.http
      .post('/v1/webhooks')
      .set(bearer(p.secretKey))
      .send({ url, events, description: 'CRM' })
      .expect(201);
    return res.body as { id: string; secret: string; events: string[]; status: string };
  };
  const rewardEvent = async (amount: number) => {
    n++;
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: `Reward ${n}`,
        event: `purchase.${n}`,
        actions: [
          { type: 'reward', to: 'participant', kind: 'cash', amount, currency: 'USD', email: true },
        ],
      })
      .expect(201);
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type: `purchase.${n}`,
        participant: { id: `wh-${n}`, email: `wh-${n}@example.com` },
      })
      .expect(202);
    return res.body as { id: string };
  };

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      env: { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true', WEBHOOK_BACKOFF_MS: '100' },
    });
    db = t.app.get(DataSource);
    p = await t.createProgram({ name: 'Webhooks' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = () => 200;
  });

  it('creates an endpoint whose secret is shown once and sealed at rest', async () => {
    const created = await createEndpoint(['reward.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created).toMatchObject({ events: ['reward.created'], status: 'enabled' });
    const one = await t.http.get(`/v1/webhooks/${created.id}`).set(bearer(p.secretKey)).expect(200);
    expect(one.body).not.toHaveProperty('secret');
    const list = await t.http.get('/v1/webhooks').set(bearer(p.secretKey)).expect(200);
    expect(list.body.items.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    const row = await db.getRepository(WebhookEndpoint).findOneByOrFail({ id: created.id });
    expect(row.sealedSecret).not.toContain(created.secret.slice(6));
    await t.http.delete(`/v1/webhooks/${created.id}`).set(bearer(p.secretKey)).expect(204);
    await t.http.get(`/v1/webhooks/${created.id}`).set(bearer(p.secretKey)).expect(404);
  });

  it('sends reward.created and message.sent signed, verified by the standardwebhooks package', async () => {
    const endpoint = await createEndpoint(['reward.created', 'message.sent']);
    receiver.secrets = [endpoint.secret];
    await rewardEvent(25);
    const [reward] = await eventually(async () => {
      const got = receiver.events('reward.created');
      return got.length ? got : undefined;
    });
    expect(reward.data).toMatchObject({
      reward: { participantId: `wh-${n}`, amount: 25, currency: 'USD', kind: 'cash' },
    });
    const [sent] = await eventually(async () => {
      const got = receiver.events('message.sent');
      return got.length ? got : undefined;
    }, 20000);
    expect(sent.data).toMatchObject({
      message: { template: 'reward-earned', to: `wh-${n}@example.com`, status: 'sent' },
    });
    // Every request the receiver got verified, and a wrong secret would not have.
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const other = new Webhook(`whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`);
    const first = receiver.received[0];
    expect(() =>
      other.verify(first.body, {
        'webhook-id': first.id,
        'webhook-timestamp': first.timestamp,
        'webhook-signature': first.signature,
      }),
    ).toThrow();
    // The log shows what was sent and what came back.
    const log = await t.http
      .get(`/v1/webhooks/${endpoint.id}/deliveries`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(log.body.items).toHaveLength(2);
    for (const d of log.body.items) {
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
      expect(d.attemptLog[0]).toMatchObject({ statusCode: 200, responseExcerpt: 'ok' });
      expect(receiver.received.map((r) => r.id)).toContain(d.id);
    }
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey)).expect(204);
  });

  it('delivers on the fourth try to a receiver that fails three times', async () => {
    const endpoint = await createEndpoint(['reward.created']);
    receiver.secrets = [endpoint.secret];
    let calls = 0;
    receiver.answer = () => (++calls <= 3 ? 503 : 200);
    await rewardEvent(10);
    const delivery = await eventually(async () => {
      const [d] = await db.getRepository(WebhookDelivery).findBy({ endpointId: endpoint.id });
      return d?.status === 'delivered' ? d : undefined;
    }, 30000);
    expect(delivery.attempts).toBe(4);
    expect(delivery.attemptLog.map((a) => a.statusCode)).toEqual([503, 503, 503, 200]);
    // The same webhook-id on every try, so a receiver can tell a retry from a new event.
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set([delivery.id]));
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const ep = await t.http.get(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey));
    expect(ep.body).toMatchObject({ status: 'enabled', failingSince: null });
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey)).expect(204);
  });

  it('signs with both secrets while a rotation overlaps, and retries a failed delivery by hand', async () => {
    const endpoint = await createEndpoint(['reward.created']);
    const rotated = await t.http
      .post(`/v1/webhooks/${endpoint.id}/rotate-secret`)
      .set(bearer(p.secretKey))
      .send({ overlapSeconds: 3600 })
      .expect(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    // A receiver that still knows only the old secret verifies; one with only the new one too.
    receiver.secrets = [endpoint.secret];
    receiver.answer = () => 500;
    await t.http
      .patch(`/v1/webhooks/${endpoint.id}`)
      .set(bearer(p.secretKey))
      .send({ description: 'CRM (rotating)' })
      .expect(200);
    await rewardEvent(5);
    const first = await eventually(async () => receiver.received[0]);
    expect(first.verified).not.toBeNull();
    expect(first.signature.split(' ')).toHaveLength(2);
    expect(
      new Webhook(rotated.body.secret).verify(first.body, {
        'webhook-id': first.id,
        'webhook-timestamp': first.timestamp,
        'webhook-signature': first.signature,
      }),
    ).toMatchObject({ type: 'reward.created' });
    // Given up (the endpoint is disabled meanwhile), then sent again by hand once it answers.
    await t.http
      .patch(`/v1/webhooks/${endpoint.id}`)
      .set(bearer(p.secretKey))
      .send({ status: 'disabled' })
      .expect(200);
    const failed = await eventually(async () => {
      const [d] = await db.getRepository(WebhookDelivery).findBy({ endpointId: endpoint.id });
      return d?.status === 'failed' ? d : undefined;
    }, 30000);
    await t.http
      .patch(`/v1/webhooks/${endpoint.id}`)
      .set(bearer(p.secretKey))
      .send({ status: 'enabled' })
      .expect(200);
    receiver.answer = () => 200;
    await t.http
      .post(`/v1/webhooks/${endpoint.id}/deliveries/${failed.id}/retry`)
      .set(bearer(p.secretKey))
      .expect(202);
    await eventually(async () => {
      const d = await db.getRepository(WebhookDelivery).findOneByOrFail({ id: failed.id });
      return d.status === 'delivered';
    }, 20000);
    const again = await t.http
      .post(`/v1/webhooks/${endpoint.id}/deliveries/${failed.id}/retry`)
      .set(bearer(p.secretKey))
      .expect(409);
    expect(again.body.code).toBe('WEBHOOK_DELIVERY_NOT_RETRYABLE');
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey)).expect(204);
  });

  it('lets a rule send an endpoint the event and its facts, under the name it gives', async () => {
    const endpoint = await createEndpoint(['reward.created']);
    receiver.secrets = [endpoint.secret];
    const unknown = await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Tell nobody',
        event: 'order',
        actions: [{ type: 'webhook', endpoint: '7d2b6f0e-0000-4000-8000-000000000000' }],
      })
      .expect(400);
    expect(unknown.body.code).toBe('RULE_INVALID');
    expect(unknown.body.details).toEqual([
      expect.objectContaining({ field: 'actions[0].endpoint', code: 'UNKNOWN_WEBHOOK' }),
    ]);
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Tell the CRM',
        event: 'order',
        actions: [{ type: 'webhook', endpoint: endpoint.id, event: 'order.placed' }],
      })
      .expect(201);
    const posted = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({
        type: 'order',
        participant: { id: 'buyer-1', email: 'buyer-1@example.com' },
        data: { orderId: 'A1', total: 40 },
        idempotencyKey: 'order-A1',
      })
      .expect(202);
    const got = await eventually(async () => receiver.events('order.placed')[0]);
    expect(got.data).toMatchObject({
      event: { id: posted.body.id, type: 'order', data: { orderId: 'A1', total: 40 } },
      participant: { id: 'buyer-1', email: 'buyer-1@example.com' },
      referrer: null,
      rule: { name: 'Tell the CRM', version: 1 },
    });
    const event = await eventually(async () => {
      const res = await t.http.get(`/v1/events/${posted.body.id}`).set(bearer(p.secretKey));
      return res.body.status === 'processed' ? res.body : undefined;
    });
    const actions = event.results.flatMap((r: { actions: unknown[] }) => r.actions);
    expect(actions).toContainEqual(
      expect.objectContaining({
        type: 'webhook',
        endpoint: endpoint.id,
        event: 'order.placed',
        outcome: 'written',
      }),
    );
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey)).expect(204);
  });

  it("answers 404 for another program's endpoint and for an id that is none", async () => {
    const endpoint = await createEndpoint(['reward.created']);
    const other = await t.createProgram({ name: 'Other' });
    for (const path of [
      `/v1/webhooks/${endpoint.id}`,
      `/v1/webhooks/${endpoint.id}/deliveries`,
      '/v1/webhooks/not-an-id',
    ]) {
      const res = await t.http.get(path).set(bearer(other.secretKey)).expect(404);
      expect(res.body.code).toBe('WEBHOOK_NOT_FOUND');
    }
    await t.http
      .patch(`/v1/webhooks/${endpoint.id}`)
      .set(bearer(other.secretKey))
      .send({ status: 'disabled' })
      .expect(404);
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(other.secretKey)).expect(404);
    const still = await t.http.get(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey));
    expect(still.body.status).toBe('enabled');
    await t.http.delete(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey)).expect(204);
  });

  it('refuses an invalid URL and an unknown event with a code', async () => {
    const bad = await t.http
      .post('/v1/webhooks')
      .set(bearer(p.secretKey))
      .send({ url: 'ftp://example.com/x', events: ['reward.created'] })
      .expect(400);
    expect(bad.body.code).toBe('WEBHOOK_URL_INVALID');
    const unknown = await t.http
      .post('/v1/webhooks')
      .set(bearer(p.secretKey))
      .send({ url: receiver.url, events: ['reward.exploded'] })
      .expect(400);
    expect(unknown.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('Webhooks without private hosts (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    'http://127.0.0.1:8080/hooks',
    'http://10.1.2.3/hooks',
    'https://[::1]/hooks',
    'http://169.254.169.254/latest/meta-data',
    'http://localhost/hooks',
  ])('refuses %s at creation', async (url) => {
    const p = await t.createProgram({ name: 'Private' });
    const res = await t.http
      .post('/v1/webhooks')
      .set(bearer(p.secretKey))
      .send({ url, events: ['reward.created'] })
      .expect(422);
    expect(res.body.code).toBe('WEBHOOK_URL_NOT_ALLOWED');
    expect(res.body.message).toMatch(/public addresses only/);
    const list = await t.http.get('/v1/webhooks').set(bearer(p.secretKey)).expect(200);
    expect(list.body.items).toEqual([]);
  });
});

describe('Webhook endpoints that keep failing (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer = () => 500;
    t = await startTestApp({
      env: {
        WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true',
        WEBHOOK_BACKOFF_MS: '100',
        // The whole retry window, shortened from three days.
        WEBHOOK_RETRY_WINDOW_MS: '1500',
      },
    });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  it('gives a delivery up after the window, disables the endpoint and alerts the program', async () => {
    const p = await t.createProgram({
      name: 'Failing',
      settings: { alertEmail: 'ops@failing.example' },
    });
    const endpoint = (
      await t.http
        .post('/v1/webhooks')
        .set(bearer(p.secretKey))
        .send({ url: receiver.url, events: ['reward.created'] })
        .expect(201)
    ).body as { id: string; secret: string };
    receiver.secrets = [endpoint.secret];
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Reward',
        event: 'purchase',
        actions: [
          {
            type: 'reward',
            to: 'participant',
            kind: 'credit',
            amount: 5,
            currency: 'USD',
            email: false,
          },
        ],
      })
      .expect(201);
    const fire = (id: string) =>
      t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({ type: 'purchase', participant: { id, email: `${id}@example.com` } })
        .expect(202);
    await fire('first');
    const given = await eventually(async () => {
      const [d] = await db.getRepository(WebhookDelivery).findBy({ endpointId: endpoint.id });
      return d?.status === 'failed' ? d : undefined;
    }, 20000);
    expect(given.attempts).toBeGreaterThan(1);
    expect(given.attemptLog.every((a) => a.statusCode === 500)).toBe(true);
    // Still failing once the window has passed since its first failure: disabled, and told.
    // The first delivery may give up a little before that (its last retry would end past its
    // own window): the next event comes once the endpoint's window has surely passed.
    const { failingSince } = await db
      .getRepository(WebhookEndpoint)
      .findOneByOrFail({ id: endpoint.id });
    expect(failingSince).not.toBeNull();
    const windowEnds = failingSince!.getTime() + 1500;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnds - Date.now()) + 50));
    await fire('second');
    const disabled = await eventually(async () => {
      const res = await t.http.get(`/v1/webhooks/${endpoint.id}`).set(bearer(p.secretKey));
      return res.body.status === 'disabled' ? res.body : undefined;
    }, 20000);
    expect(disabled.disabledReason).toMatch(/Every delivery failed since/);
    const alert = await eventually(async () => {
      const m = await db
        .getRepository(Message)
        .findOneBy({ programId: p.id, templateKey: 'program-alert' });
      return m?.status === 'sent' ? m : undefined;
    }, 20000);
    expect(alert.toEmail).toBe('ops@failing.example');
    expect(alert.subject).toMatch(/webhook endpoint was disabled/);
    expect((alert.data as { alert: { kind: string } }).alert.kind).toBe(
      'webhook-endpoint-disabled',
    );
    // Nothing more is sent to it while it is disabled.
    const before = receiver.received.length;
    await fire('third');
    await eventually(async () => {
      const rows = await db.getRepository(WebhookDelivery).findBy({ endpointId: endpoint.id });
      return rows.length === 2 && rows.every((r) => r.status === 'failed');
    }, 20000);
    expect(receiver.received.length).toBe(before);
  });
});
