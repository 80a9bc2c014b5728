import { createServer } from 'node:net';
import { arf, dsn } from './support/inbound-reports';
import { createTransport } from 'nodemailer';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { WEBHOOK_EVENT_TYPES } from '../src/webhooks/webhook-events.types';
import { SmtpTestServer } from './support/smtp-test-server';
import { WebhookReceiver } from './support/webhook-receiver';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const INBOUND_DOMAIN = 'in.hooks.test';

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

describe('Webhook events (e2e): every event arrives signed', () => {
  let t: TestApp;
  let sink: SmtpTestServer;
  let receiver: WebhookReceiver;
  let port: number;
  let p: { id: string; secretKey: string };
  const db = () => t.app.get(DataSource);
  const api = () => ({
    post: (path: string, body: object) => t.http.post(path).set(bearer(p.secretKey)).send(body),
    put: (path: string, body: object) => t.http.put(path).set(bearer(p.secretKey)).send(body),
  });
  const toListener = (envelope: { from: string; to: string[] }, raw: string) =>
    createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
      envelope,
      raw,
    });
  const arrived = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
    eventually(async () => receiver.events(type).find((e) => match(e.data))?.data, 30000);
  const messageTo = (email: string, status: Message['status']) =>
    eventually(async () => {
      const m = await db().getRepository(Message).findOneBy({ toEmail: email });
      return m?.status === status ? m : undefined;
    }, 30000);
  let n = 0;
  const fire = async (type: string, participant: Record<string, unknown>) =>
    api()
      .post('/v1/events', { type, participant, idempotencyKey: `k-${++n}` })
      .expect(202);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    sink = await SmtpTestServer.start({
      onRcptTo: (address) =>
        address === 'spam-trap@example.org'
          ? { code: 554, message: '5.7.1 Message rejected as spam' }
          : undefined,
    });
    port = await freePort();
    t = await startTestApp({
      env: {
        WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true',
        WEBHOOK_BACKOFF_MS: '100',
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        INBOUND_SMTP_PORT: String(port),
        INBOUND_DOMAIN,
      },
    });
    p = await t.createProgram({
      name: 'Hooked',
      settings: { payoutReminderIntervals: ['PT1S'] },
    });
    const endpoint = await api()
      .post('/v1/webhooks', {
        url: receiver.url,
        events: WEBHOOK_EVENT_TYPES.filter((e) => e !== 'rule.matched'),
      })
      .expect(201);
    receiver.secrets = [endpoint.body.secret];
    await api()
      .post('/v1/rules', {
        name: 'Big cash reward',
        event: 'sale',
        actions: [
          { type: 'reward', to: 'participant', kind: 'cash', amount: 700, currency: 'USD' },
        ],
      })
      .expect(201);
    await api()
      .post('/v1/rules', {
        name: 'A newsletter',
        event: 'newsletter',
        actions: [{ type: 'email', template: 'generic', to: 'participant' }],
      })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
    await receiver?.stop();
  });

  it('sends reward.created, message.sent, w9.required and payout_reminder.sent for a large cash reward', async () => {
    await fire('sale', { id: 'big-earner', email: 'big.earner@example.org' });
    const reward = await arrived('reward.created');
    expect(reward).toMatchObject({
      reward: { participantId: 'big-earner', amount: 700, kind: 'cash' },
    });
    const w9 = await arrived('w9.required');
    expect(w9).toMatchObject({ participantId: 'big-earner', totalUsd: 700, thresholdUsd: 599 });
    await arrived(
      'message.sent',
      (d) => (d.message as { to: string }).to === 'big.earner@example.org',
    );
    const reminder = await arrived('payout_reminder.sent');
    expect(reminder).toMatchObject({
      participantId: 'big-earner',
      rewardId: (reward.reward as { id: string }).id,
    });
    await t.http
      .patch(`/v1/rewards/${(reward.reward as { id: string }).id}`)
      .set(bearer(p.secretKey))
      .send({ status: 'paid' })
      .expect(200);
    const changed = await arrived('reward.status_changed');
    expect(changed).toMatchObject({
      from: 'available',
      to: 'paid',
      reward: { id: (reward.reward as { id: string }).id, status: 'paid' },
    });
  });

  it('sends message.failed for a permanent refusal', async () => {
    await fire('newsletter', { id: 'trap', email: 'spam-trap@example.org' });
    const failed = await arrived('message.failed');
    expect(failed).toMatchObject({
      message: {
        to: 'spam-trap@example.org',
        status: 'failed',
        error: { permanent: true },
      },
    });
  });

  it('sends participant.unsubscribed when a participant leaves a category', async () => {
    await api()
      .put('/v1/participants/leaver', { email: 'leaver@example.org' })
      .expect((res) => expect([200, 201]).toContain(res.status));
    await api()
      .put('/v1/participants/leaver/preferences', { categories: { marketing: false } })
      .expect(200);
    const left = await arrived('participant.unsubscribed');
    expect(left).toMatchObject({ participantId: 'leaver', category: 'marketing', source: 'api' });
  });

  it('sends message.bounced, message.complained and email.received for what comes back', async () => {
    await fire('newsletter', { id: 'ghost', email: 'ghost@example.org' });
    const bouncing = await messageTo('ghost@example.org', 'sent');
    const returnPath = `b-${bouncing.returnPathTag}@${INBOUND_DOMAIN}`;
    await toListener(
      { from: '', to: [returnPath] },
      dsn(returnPath, 'ghost@example.org', '5.1.1', bouncing),
    );
    const bounced = await arrived('message.bounced');
    expect(bounced).toMatchObject({
      message: { id: bouncing.id, to: 'ghost@example.org' },
      bounce: { status: '5.1.1', class: 'hard' },
    });

    await fire('newsletter', { id: 'grumpy', email: 'grumpy@example.org' });
    const annoyed = await messageTo('grumpy@example.org', 'sent');
    const rp = `b-${annoyed.returnPathTag}@${INBOUND_DOMAIN}`;
    await toListener({ from: '', to: [rp] }, arf(rp, 'grumpy@example.org', annoyed));
    const complained = await arrived('message.complained');
    expect(complained).toMatchObject({
      message: { id: annoyed.id },
      complaint: { feedbackType: 'abuse' },
    });

    await fire('newsletter', { id: 'chatty', email: 'chatty@example.org' });
    const original = await messageTo('chatty@example.org', 'sent');
    const { forwardingAddress } = (
      await t.http.get('/v1/integrations/inbound').set(bearer(p.secretKey)).expect(200)
    ).body;
    const reply = [
      'From: Chatty <chatty@example.org>',
      `To: ${forwardingAddress}`,
      'Subject: Re: news',
      `In-Reply-To: ${original.messageId}`,
      'Message-ID: <reply-chatty@example.org>',
      '',
      'Tell me more.',
      '',
    ].join('\r\n');
    await toListener({ from: 'chatty@example.org', to: [forwardingAddress] }, reply);
    const received = await arrived('email.received');
    expect(received).toMatchObject({
      from: 'chatty@example.org',
      subject: 'Re: news',
      inReplyTo: original.id,
      participantId: 'chatty',
    });
  });

  it('signed every request it sent, verified with the standardwebhooks package', () => {
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(receiver.received.filter((r) => !r.verified)).toEqual([]);
    const types = new Set(receiver.received.map((r) => r.verified!.type));
    for (const type of WEBHOOK_EVENT_TYPES.filter((e) => e !== 'rule.matched'))
      expect(types).toContain(type);
  });
});
