import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const EVENTS = 200;
const AT_ONCE = 32;

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

const byStatus = (rows: Array<{ status: string }>) => {
  const counts: Record<string, number> = {};
  for (const { status } of rows) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

// Events posted many at a time, each emailing its participant through the built-in sender while
// the inbound listener runs (one process: API, listener and jobs). Every event is kept and
// evaluated, and every message goes out once and reads `sent`, through the jobs the events
// queued: the sweeper, which would hide a lost job after a minute or two, stays out of it.
describe('A burst of events through the built-in sender (e2e)', () => {
  let t: TestApp;
  let sink: SmtpTestServer;
  let p: { id: string; secretKey: string };

  beforeAll(async () => {
    sink = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        INBOUND_SMTP_PORT: String(await freePort()),
        INBOUND_DOMAIN: 'in.burst.test',
        SWEEP_INTERVAL_MS: '3600000',
      },
    });
    p = await t.createProgram({ name: 'Burst' });
    await t.http
      .put('/v1/templates/thanks/en')
      .set(bearer(p.secretKey))
      .send({
        subject: 'Thanks',
        html: '<p>Hi {{default recipient.firstName "there"}}, thanks.</p>',
      })
      .expect(201);
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Thank every participant',
        event: 'signup',
        actions: [{ type: 'email', template: 'thanks', to: 'participant' }],
      })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  it(`keeps, evaluates and sends all of ${EVENTS} events posted ${AT_ONCE} at a time`, async () => {
    for (let start = 0; start < EVENTS; start += AT_ONCE) {
      const batch = Array.from({ length: Math.min(AT_ONCE, EVENTS - start) }, (_, i) => start + i);
      // Over real connections, as clients post: with supertest's connection per request the
      // requests of a burst do not arrive together.
      const answers = await Promise.all(
        batch.map((i) =>
          fetch(`${t.baseUrl}/v1/events`, {
            method: 'POST',
            headers: {
              ...bearer(p.secretKey),
              'Content-Type': 'application/json',
              'Idempotency-Key': `burst-${i}`,
            },
            body: JSON.stringify({
              type: 'signup',
              participant: { id: `p-${i}`, email: `p-${i}@example.org`, firstName: 'Burst' },
            }),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(batch.map(() => 202));
    }

    const db = t.app.get(DataSource);
    const state = async () => ({
      events: byStatus(await db.getRepository(ProgramEvent).find({ select: { status: true } })),
      messages: byStatus(await db.getRepository(Message).find({ select: { status: true } })),
    });
    const expected = { events: { processed: EVENTS }, messages: { sent: EVENTS } };
    await eventually(
      async () => JSON.stringify(await state()) === JSON.stringify(expected),
      120000,
      250,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}; events and messages by status: ${JSON.stringify(await state())}`,
      );
    });
    expect(await state()).toEqual(expected);
    // Each participant got one email: none went out without its row saying so.
    expect(sink.received.map((m) => m.envelope.rcptTo[0]).sort()).toEqual(
      Array.from({ length: EVENTS }, (_, i) => `p-${i}@example.org`).sort(),
    );
  }, 240000);
});
