import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { statusLine } from '../support/db';
import { deliveries, RedisServer } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

const BEFORE = 300;
const DURING = 50;
const AFTER = 100;
const DOWN_MS = 3000;

/** Case 3: Redis restarts mid-run without persistence, so every queued job is gone. */
export function redisRestart(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  let redis: RedisServer;
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // A slow server keeps a backlog of delivery jobs in Redis for the restart to wipe out.
    sink = await SmtpTestServer.start({
      users: { [SMTP_USER]: password },
      onRcptTo: () => sleep(150),
    });
    cluster = await Cluster.start(suite.run, { name: 'redis-restart', redisUrl: redis.url });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Redis restart');
    await api.connectSmtp(program, sink.port, password);
    await api.emailRule(program);
  });
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
    await sink?.stop();
  });

  const post = (prefix: string, n: number, concurrency = 16) =>
    pool(
      Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
      concurrency,
      async (id) => {
        const res = await api.post('/v1/events', program.secretKey, eventBody('signup', id));
        return { status: res.status, ms: res.ms };
      },
    );

  it('processes every event and delivers every email after a Redis restart loses the queued jobs', async () => {
    const started = Date.now();
    const before = await post('redis-before', BEFORE);
    await waitFor('some emails delivered', async () => sink.received.length >= 30, 60_000, 10);
    const atRestart = {
      delivered: sink.received.length,
      messages: await suite.db.messageStatuses(program.id),
      events: await suite.db.eventStatuses(program.id),
    };
    const restartedAt = Date.now();
    // Events keep coming while Redis is away and just after it is back.
    const [during] = await Promise.all([post('redis-during', DURING, 4), redis.restart(DOWN_MS)]);
    const upAt = Date.now();
    const after = await post('redis-after', AFTER);
    const total = BEFORE + DURING + AFTER;

    await waitFor(
      'every event processed',
      async () => (await suite.db.eventStatuses(program.id)).processed === total,
      120_000,
      500,
    );
    await waitFor(
      'every message sent',
      async () => (await suite.db.messageStatuses(program.id)).sent === total,
      120_000,
      500,
    );
    const doneAt = Date.now();
    await sleep(1000);
    const d = deliveries(sink.received);
    const statuses = [...before, ...during, ...after].map((r) => r.status);
    const slowest = Math.max(...during.map((r) => r.ms));
    suite.run.report.line(
      '3 Redis restart',
      `${total} events (${BEFORE} before, ${DURING} while Redis restarted, ${AFTER} after); Redis down ${seconds(upAt - restartedAt)} at ${atRestart.delivered} delivered ` +
        `(messages: ${statusLine(atRestart.messages)}; events: ${statusLine(atRestart.events)}); answers: ${[...new Set(statuses)].join(', ')}, slowest while down ${seconds(slowest)}; ` +
        `all processed and delivered ${seconds(doneAt - upAt)} after Redis was back (${seconds(doneAt - started)} in all); duplicates ${d.duplicates.length}`,
    );
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(await suite.db.eventStatuses(program.id)).toEqual({ processed: total });
    expect(await suite.db.messageStatuses(program.id)).toEqual({ sent: total });
    expect(d.unique).toBe(total);
    // Jobs lost in Redis are found again in the database; only a send under way could repeat.
    expect(d.duplicates.length).toBeLessThanOrEqual(atRestart.messages.sending ?? 0);
    for (const p of cluster.all()) expect(p.alive()).toBe(true);
  });
}
