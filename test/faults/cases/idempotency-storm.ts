import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { deliveries } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

const REQUESTS = 1000;

/** Case 5: 1,000 concurrent requests with one idempotency key. */
export function idempotencyStorm(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;

  beforeAll(async () => {
    sink = await SmtpTestServer.start({ users: { [SMTP_USER]: password } });
    cluster = await Cluster.start(suite.run, { name: 'idempotency' });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Idempotency storm');
    await api.connectSmtp(program, sink.port, password);
    const rule = await api.post('/v1/rules', program.secretKey, {
      name: 'Cash for a purchase',
      event: 'purchase',
      actions: [
        {
          type: 'reward',
          to: 'participant',
          kind: 'cash',
          amount: 25,
          currency: 'USD',
          email: true,
        },
      ],
    });
    expect(rule.status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
    await sink?.stop();
  });

  it('stores one event, one reward and one email for 1,000 concurrent requests with the same key', async () => {
    const key = `storm-${randomBytes(6).toString('hex')}`;
    const body = eventBody('purchase', 'storm-buyer', {
      idempotencyKey: undefined,
      data: { amount: 80 },
    });
    const started = Date.now();
    // All at once, each on its own connection where the client allows it.
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, () =>
        api
          .call('POST', '/v1/events', {
            key: program.secretKey,
            body,
            headers: { 'idempotency-key': key },
            timeoutMs: 120_000,
          })
          .then(
            (res) => ({ status: res.status, id: (res.body as { id?: string })?.id, ms: res.ms }),
            (err: Error) => ({ status: 0, id: err.message, ms: 0 }),
          ),
      ),
    );
    const elapsed = Date.now() - started;
    const ids = new Set(answers.map((a) => a.id));
    const statuses = [...new Set(answers.map((a) => a.status))];
    const [eventId] = [...ids];

    await waitFor(
      'the event processed',
      async () => (await suite.db.eventStatuses(program.id)).processed === 1,
      30_000,
      200,
    );
    await waitFor(
      'the email sent',
      async () => (await suite.db.messageStatuses(program.id)).sent === 1,
      30_000,
      200,
    );
    // Anything sent twice would arrive within moments.
    await sleep(3000);
    const events = await suite.db.count('SELECT count(*) AS n FROM events WHERE "programId" = $1', [
      program.id,
    ]);
    const rewards = await suite.db.count(
      'SELECT count(*) AS n FROM rewards WHERE "programId" = $1',
      [program.id],
    );
    const messages = await suite.db.count(
      'SELECT count(*) AS n FROM messages WHERE "programId" = $1',
      [program.id],
    );
    const d = deliveries(sink.received);
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    suite.run.report.line(
      '5 idempotency storm',
      `${REQUESTS} concurrent POST /v1/events with one Idempotency-Key in ${seconds(elapsed)} (latency p50 ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms): ` +
        `answers ${statuses.join(', ')}, ${ids.size} distinct event id; stored ${events} event, ${rewards} reward, ${messages} message; emails at the sink ${d.total}`,
    );
    expect(statuses).toEqual([202]);
    expect(ids.size).toBe(1);
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events).toBe(1);
    expect(rewards).toBe(1);
    expect(messages).toBe(1);
    expect(d).toEqual({ total: 1, unique: 1, duplicates: [] });
    for (const p of cluster.all()) expect(p.alive()).toBe(true);
  });
}
