import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource, In } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { SmtpIntegration } from '../src/transports/accounts/smtp-integration.entity';
import { MailTransports } from '../src/transports/mail-transports';
import type { SmtpRoute } from '../src/transports/mail-route';
import { AppLogger, LOGGER } from '../src/common/logging/logging.module';
import { AppConfig } from '../src/config/app.config';
import { SendLimitStateRow } from '../src/send-limits/send-limit-state.entity';
import { DatabaseSendLimitStore, SendLimitStore } from '../src/send-limits/send-limit.store';
import { SendLimiter } from '../src/send-limits/send-limiter';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

// Short windows stand in for a minute and a day; the arithmetic is the same.
const MINUTE = 2000;
const DAY = 8000;
const WINDOWS = { SEND_LIMIT_MINUTE_MS: String(MINUTE), SEND_LIMIT_DAY_MS: String(DAY) };
const PASSWORD = 'owner-Secret-1';
const AGENT_PASSWORD = 'agent-Secret-2';
const GMAIL_QUOTA =
  '5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 - gsmtp';

type Program = { id: string; secretKey: string };

const windowStart = (t: number, length: number) => Math.floor(t / length) * length;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the start of the next window of `length`, so a test sees whole windows. */
async function nextWindow(length: number): Promise<number> {
  const start = windowStart(Date.now(), length) + length;
  await pause(start - Date.now() + 20);
  return start;
}

/** Recipients' RCPT TO times at a sink, by address: when each message really went out. */
function arrivals() {
  const at = new Map<string, number>();
  return {
    at,
    record: (address: string) => {
      at.set(address, Date.now());
      return undefined;
    },
    sorted: (addresses: string[]) => addresses.map((a) => at.get(a)!).sort((x, y) => x - y),
  };
}

/**
 * What a limit of `perWindow` sends a window proves on real arrival times: whatever the latency,
 * the send after the first k·perWindow ones cannot go out before k whole windows after the
 * window the first reservation was made in.
 */
function expectHeldLimit(times: number[], perWindow: number, firstWindow: number): void {
  for (let k = 1; k * perWindow < times.length; k++)
    expect(times[k * perWindow]).toBeGreaterThanOrEqual(firstWindow + k * MINUTE);
}

describe('Sending limits (e2e)', () => {
  let t: TestApp;
  let db: DataSource;
  let n = 0;

  const emailFrom = async (
    app: TestApp,
    program: Program,
    to: string,
    senderId?: string,
  ): Promise<string> => {
    const notify = app.app.get(NotifyParticipant);
    const written = await notify.execute(undefined, {
      program: (await app.app.get(ProgramsService).findById(program.id))!,
      to: { address: to },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: `limits-${++n}`,
      senderId: senderId ?? null,
    });
    return written.id;
  };

  /** Writes one email to each address, a batch at a time, faster than the limit lets them out. */
  const writeAll = async (app: TestApp, program: Program, addresses: string[]) => {
    const ids: string[] = [];
    for (let i = 0; i < addresses.length; i += 25)
      ids.push(
        ...(await Promise.all(addresses.slice(i, i + 25).map((to) => emailFrom(app, program, to)))),
      );
    return ids;
  };

  const connect = (p: Program, server: SmtpTestServer, extra: Record<string, unknown> = {}) =>
    t.http
      .put('/v1/integrations/smtp')
      .set(bearer(p.secretKey))
      .send({
        host: 'localhost',
        port: server.port,
        security: 'tls',
        username: 'owner@acme.test',
        password: PASSWORD,
        fromAddress: 'rewards@acme.test',
        ...extra,
      });

  const allSettled = (ids: string[]) =>
    eventually(
      async () => {
        const rows = await db.getRepository(Message).findBy({ id: In(ids) });
        return rows.every((m) => ['sent', 'failed', 'suppressed'].includes(m.status))
          ? rows
          : undefined;
      },
      60000,
      100,
    );

  beforeAll(async () => {
    t = await startTestApp({ env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', ...WINDOWS } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  describe('settings', () => {
    let server: SmtpTestServer;
    let p: Program;

    beforeAll(async () => {
      server = await SmtpTestServer.start({
        users: { 'owner@acme.test': PASSWORD, 'agent@acme.test': AGENT_PASSWORD },
      });
      p = await t.createProgram({ name: 'Limit settings' });
    });
    afterAll(() => server.stop());

    it.each([
      [{ perMinute: 0 }, 'limits.perMinute', 'TOO_SMALL', /at least 1/],
      [{ perMinute: -3 }, 'limits.perMinute', 'TOO_SMALL', /at least 1/],
      [{ perDay: 1.5 }, 'limits.perDay', 'WRONG_TYPE', /whole number of messages a day/],
      [{ perMinute: '30' }, 'limits.perMinute', 'WRONG_TYPE', /whole number of messages a minute/],
      [{ perMinute: 10_001 }, 'limits.perMinute', 'TOO_LARGE', /at most 10000/],
      [{ perDay: 1_000_001 }, 'limits.perDay', 'TOO_LARGE', /at most 1000000/],
    ])('refuses limits %j beside %s with %s', async (limits, field, code, message) => {
      const res = await connect(p, server, { limits });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual([
        expect.objectContaining({ field, code, message: expect.stringMatching(message) }),
      ]);
    });

    it('refuses limits that are not an object, and fields it does not know', async () => {
      const notObject = await connect(p, server, { limits: 30 });
      expect(notObject.status).toBe(400);
      expect(notObject.body.details[0]).toMatchObject({ field: 'limits' });
      const unknown = await connect(p, server, { limits: { perHour: 5 } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details[0]).toMatchObject({
        field: 'limits.perHour',
        code: 'UNKNOWN_FIELD',
      });
    });

    it('stores the limits, keeps them when left out, clears them with null, and says which hold', async () => {
      const set = await connect(p, server, { limits: { perMinute: 20, perDay: 500 } });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({
        limits: { perMinute: 20, perDay: 500 },
        limitsInEffect: {
          perMinute: 20,
          perMinuteSource: 'set',
          perDay: 500,
          perDaySource: 'set',
          provider: null,
        },
      });
      expect((await connect(p, server)).body.limits).toEqual({ perMinute: 20, perDay: 500 });
      const got = await t.http.get('/v1/integrations/smtp').set(bearer(p.secretKey)).expect(200);
      expect(got.body.limits).toEqual({ perMinute: 20, perDay: 500 });

      const sender = await t.http
        .put('/v1/integrations/smtp/senders/agent')
        .set(bearer(p.secretKey))
        .send({ email: 'agent@acme.test', password: AGENT_PASSWORD, limits: { perDay: 100 } });
      expect(sender.status).toBe(201);
      // The sender's own daily limit, and the integration's per-minute one it has none of.
      expect(sender.body).toMatchObject({
        limits: { perMinute: null, perDay: 100 },
        limitsInEffect: {
          perMinute: 20,
          perMinuteSource: 'integration',
          perDay: 100,
          perDaySource: 'set',
        },
      });
      const route = (await t.app.get(MailTransports).routeFor(p.id, 'agent')) as SmtpRoute;
      expect(route.limits).toEqual({ perMinute: 20, perDay: 100 });

      const cleared = await connect(p, server, { limits: null });
      expect(cleared.body).toMatchObject({
        limits: { perMinute: null, perDay: null },
        limitsInEffect: { perMinute: null, perMinuteSource: null, perDay: null, provider: null },
      });
      const senders = await t.http
        .get('/v1/integrations/smtp/senders')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(senders.body.items[0].limitsInEffect).toMatchObject({
        perMinute: null,
        perDay: 100,
      });
    });

    it.each([
      [
        'smtp.office365.com',
        'ana@contoso.com',
        { perMinute: 30, perDay: 10_000, provider: 'microsoft-365' },
      ],
      ['smtp.gmail.com', 'ana@gmail.com', { perMinute: null, perDay: 500, provider: 'gmail' }],
      [
        'smtp.gmail.com',
        'ana@acme.com',
        { perMinute: null, perDay: 2_000, provider: 'google-workspace' },
      ],
    ])(
      'applies the documented defaults of %s (login %s) when none are set',
      async (host, login, expected) => {
        // Stored as a connection saved earlier would be: the defaults come from the host alone.
        const q = await t.createProgram({ name: `Defaults ${host} ${login}` });
        const now = new Date();
        await db.getRepository(SmtpIntegration).insert({
          id: `00000000-0000-4000-8000-${randomBytes(6).toString('hex')}`,
          programId: q.id,
          host,
          port: 587,
          security: 'tls',
          username: login,
          passwordSealed: null,
          testFromAddress: null,
          fromAddress: login,
          fromName: null,
          status: 'connected',
          lastErrorCode: null,
          lastErrorMessage: null,
          lastErrorAt: null,
          limitPerMinute: null,
          limitPerDay: null,
          version: 1,
          connectedAt: now,
          createdAt: now,
          updatedAt: now,
        });
        const got = await t.http.get('/v1/integrations/smtp').set(bearer(q.secretKey)).expect(200);
        expect(got.body.limits).toEqual({ perMinute: null, perDay: null });
        expect(got.body.limitsInEffect).toEqual({
          perMinute: expected.perMinute,
          perMinuteSource: expected.perMinute === null ? null : 'default',
          perDay: expected.perDay,
          perDaySource: 'default',
          provider: expected.provider,
        });
        const route = (await t.app.get(MailTransports).routeFor(q.id)) as SmtpRoute;
        expect(route.limits).toEqual({ perMinute: expected.perMinute, perDay: expected.perDay });
      },
    );
  });

  describe('counting across processes', () => {
    // Limiters of their own share one store, as processes do: only the store's compare-and-set
    // keeps them from counting a send twice.
    const stores = (): Array<[string, SendLimitStore]> => {
      const own = t.app.get(SendLimitStore);
      const database = new DatabaseSendLimitStore(db.getRepository(SendLimitStateRow));
      return own instanceof DatabaseSendLimitStore
        ? [['the database', own]]
        : [
            ['Redis', own],
            ['the database', database],
          ];
    };

    it('never lets more than the limits through in a window, however many ask at once', async () => {
      for (const [, store] of stores()) {
        const limiters = Array.from(
          { length: 4 },
          () => new SendLimiter(store, t.app.get(AppConfig)),
        );
        const account = {
          key: `smtp:race-${randomBytes(4).toString('hex')}`,
          limits: { perMinute: 30, perDay: 75 },
        };
        // From the start of a day window, so where each send falls is known.
        const asked = await nextWindow(DAY);
        const admissions = await Promise.all(
          Array.from({ length: 120 }, (_, i) => limiters[i % 4].admit(account, null)),
        );
        const at = admissions.map((a) => (a.send ? asked : a.notBefore.getTime()));
        const count = (length: number) => {
          const per = new Map<number, number>();
          for (const time of at)
            per.set(windowStart(time, length), (per.get(windowStart(time, length)) ?? 0) + 1);
          return [...per.entries()].sort(([a], [b]) => a - b).map(([, n]) => n);
        };
        // 30 a minute until the day's 75 are given out, the rest from the next day on.
        expect(count(MINUTE)).toEqual([30, 30, 15, 30, 15]);
        expect(count(DAY)).toEqual([75, 45]);
        expect(Math.min(...at)).toBeGreaterThanOrEqual(asked);
        expect(
          admissions.filter((a) => !a.send).every((a) => !a.send && a.reason !== 'paused'),
        ).toBe(true);
      }
    });
  });

  describe('with 30 a minute', () => {
    it('sends 100 messages over four windows, none failed, the waiting ones shown with notBefore', async () => {
      const sink = arrivals();
      const server = await SmtpTestServer.start({
        users: { 'owner@acme.test': PASSWORD },
        onRcptTo: sink.record,
      });
      try {
        const p = await t.createProgram({ name: 'Thirty a minute' });
        expect((await connect(p, server, { limits: { perMinute: 30 } })).status).toBe(200);
        const agent = request.agent(t.app.getHttpServer());
        const form = await agent.get('/console/sign-in');
        await agent
          .post('/console/sign-in')
          .type('form')
          .send({
            _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)![1],
            secretKey: p.secretKey,
          })
          .expect(303);
        const page = await agent.get('/console/integrations').expect(200);
        expect(page.text).toContain('Sending limits: 30 a minute (set here)');
        expect(page.text).toMatch(/name="limitPerMinute" type="text" value="30"/);

        const info = jest.spyOn(t.app.get<AppLogger>(LOGGER), 'info');
        const start = await nextWindow(MINUTE);
        const addresses = Array.from({ length: 100 }, (_, i) => `r${i}@example.com`);
        const ids = await writeAll(t, p, addresses);

        // One that waits, as the API, the list and the console show it while it does.
        const seen = await eventually(async () => {
          const rows = await db
            .getRepository(Message)
            .findBy({ programId: p.id, status: 'queued' });
          const last = rows
            .filter((m) => m.notBefore && m.notBefore.getTime() > Date.now())
            .sort((a, b) => b.notBefore!.getTime() - a.notBefore!.getTime())[0];
          if (!last) return undefined;
          const [detail, list, page] = await Promise.all([
            t.http.get(`/v1/messages/${last.id}`).set(bearer(p.secretKey)),
            t.http.get('/v1/messages?status=queued&limit=200').set(bearer(p.secretKey)),
            agent.get(`/console/messages/${last.id}`),
          ]);
          const listed = list.body.items.find((m: { id: string }) => m.id === last.id);
          if (detail.body.status !== 'queued' || !listed || !page.text.includes('Waits until'))
            return undefined;
          return { notBefore: last.notBefore!.toISOString(), detail, listed, page };
        }, 30000);
        expect(seen.detail.body).toMatchObject({
          status: 'queued',
          notBefore: seen.notBefore,
          attempts: 0,
        });
        expect(seen.detail.body.error).toBeUndefined();
        expect(seen.detail.body.attemptLog.at(-1)).toMatchObject({
          outcome: 'waiting',
          code: 'SEND_LIMIT_REACHED',
          message: expect.stringContaining('30 messages a minute'),
        });
        expect(seen.listed).toMatchObject({ status: 'queued', notBefore: seen.notBefore });
        expect(seen.page.text).toContain('id="message-not-before"');
        expect(seen.page.text).toContain('Waiting for the sending limit');
        expect(info).toHaveBeenCalledWith(
          expect.objectContaining({ reason: 'perMinute', notBefore: expect.any(String) }),
          'message waits for its sending limit',
        );
        info.mockRestore();

        await server.waitForMessages(100, 60000);
        const rows = await allSettled(ids);
        expect(rows.filter((m) => m.status !== 'sent')).toEqual([]);
        // Waiting is not an attempt: each went out on its first.
        expect(rows.every((m) => m.attempts === 1 && m.notBefore === null)).toBe(true);
        const times = sink.sorted(addresses);
        expectHeldLimit(times, 30, start);
        expect(times[99]).toBeGreaterThanOrEqual(start + 3 * MINUTE);
      } finally {
        await server.stop();
      }
    });

    // Two worker processes need a database and a queue they share: the Postgres + Redis pass
    // runs this; the embedded setup is one process by design.
    if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL)
      it('holds the limit across two workers on Postgres and Redis', async () => {
        const sink = arrivals();
        const server = await SmtpTestServer.start({
          users: { 'owner@acme.test': PASSWORD },
          onRcptTo: sink.record,
        });
        const queuePrefix = `rnl${randomBytes(4).toString('hex')}`;
        const worker = (name: string) =>
          startTestApp({
            env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', SMTP_EHLO_NAME: name, ...WINDOWS },
            queuePrefix,
            fresh: false,
            role: 'worker',
          });
        const [a, b] = await Promise.all([worker('worker-a.test'), worker('worker-b.test')]);
        try {
          const p = await t.createProgram({ name: 'Two workers' });
          expect((await connect(p, server, { limits: { perMinute: 30 } })).status).toBe(200);
          const start = await nextWindow(MINUTE);
          const addresses = Array.from({ length: 100 }, (_, i) => `w${i}@example.com`);
          // Written through one worker, queued on the queue both take jobs from.
          const ids = await writeAll(a, p, addresses);
          const mail = await server.waitForMessages(100, 60000);
          const rows = await allSettled(ids);
          expect(rows.filter((m) => m.status !== 'sent')).toEqual([]);
          // Both workers sent some of them.
          expect(new Set(mail.map((m) => m.ehlo))).toEqual(
            new Set(['worker-a.test', 'worker-b.test']),
          );
          const times = sink.sorted(addresses);
          expectHeldLimit(times, 30, start);
          expect(times[99]).toBeGreaterThanOrEqual(start + 3 * MINUTE);
        } finally {
          await Promise.all([a.close(), b.close()]);
          await server.stop();
        }
      });
  });

  describe('a quota reply of the server', () => {
    it('pauses that account until its window ends while other accounts keep sending, then sends its messages', async () => {
      const sink = arrivals();
      let armed = false;
      let quotaResetAt: number | undefined;
      let refusals = 0;
      // Gmail-like: once the account's day is used up it refuses MAIL FROM until the day ends.
      const server = await SmtpTestServer.start({
        users: { 'owner@acme.test': PASSWORD, 'agent@acme.test': AGENT_PASSWORD },
        onMailFrom: (from) => {
          if (from !== 'rewards@acme.test' || !armed) return undefined;
          quotaResetAt ??= windowStart(Date.now(), DAY) + DAY;
          if (Date.now() >= quotaResetAt) return undefined;
          refusals++;
          return { code: 550, message: GMAIL_QUOTA };
        },
        onRcptTo: sink.record,
      });
      const other = await SmtpTestServer.start({
        users: { 'owner@acme.test': PASSWORD },
        onRcptTo: sink.record,
      });
      try {
        const p = await t.createProgram({ name: 'Quota' });
        expect((await connect(p, server)).status).toBe(200);
        await t.http
          .put('/v1/integrations/smtp/senders/agent')
          .set(bearer(p.secretKey))
          .send({ email: 'agent@acme.test', password: AGENT_PASSWORD, saveToSent: 'off' })
          .expect(201);
        const q = await t.createProgram({ name: 'Another account elsewhere' });
        expect((await connect(q, other)).status).toBe(200);
        armed = true;
        const warn = jest.spyOn(t.app.get<AppLogger>(LOGGER), 'warn');

        await nextWindow(DAY);
        const own = ['q0', 'q1', 'q2', 'q3', 'q4'].map((a) => `${a}@example.com`);
        const agentTo = ['s0', 's1', 's2', 's3', 's4'].map((a) => `${a}@example.com`);
        const elsewhere = ['o0', 'o1', 'o2', 'o3', 'o4'].map((a) => `${a}@example.com`);
        const ids = { own: [] as string[], agent: [] as string[], elsewhere: [] as string[] };
        for (let i = 0; i < 5; i++) {
          ids.own.push(await emailFrom(t, p, own[i]));
          ids.agent.push(await emailFrom(t, p, agentTo[i], 'agent'));
          ids.elsewhere.push(await emailFrom(t, q, elsewhere[i]));
        }

        const paused = await eventually(async () => {
          const rows = await db.getRepository(Message).findBy({ id: In(ids.own) });
          return rows.find((m) => m.errorCode === 'SMTP_QUOTA_EXCEEDED');
        });
        const resumesAt = quotaResetAt!;
        const shown = await t.http
          .get(`/v1/messages/${paused.id}`)
          .set(bearer(p.secretKey))
          .expect(200);
        expect(shown.body).toMatchObject({
          status: 'queued',
          attempts: 0,
          error: {
            code: 'SMTP_QUOTA_EXCEEDED',
            permanent: false,
            message: expect.stringContaining(
              `Sending from this account resumes at ${new Date(resumesAt).toISOString()}.`,
            ),
          },
        });
        expect(shown.body.error.message).toContain('550 5.4.5');
        // The log says it too, with when sending resumes.
        expect(warn).toHaveBeenCalledWith(
          expect.objectContaining({
            messageId: paused.id,
            code: 'SMTP_QUOTA_EXCEEDED',
            resumesAt: new Date(resumesAt).toISOString(),
          }),
          'sending paused: the server reported a sending quota',
        );
        warn.mockRestore();
        expect(Date.parse(shown.body.notBefore)).toBeGreaterThanOrEqual(resumesAt);
        expect(shown.body.events).toContainEqual(
          expect.objectContaining({
            type: 'deferred',
            diagnostic: expect.stringContaining('resumes at'),
          }),
        );

        // The sender identity (its own login) and the other program's account were not paused.
        await eventually(async () => [...agentTo, ...elsewhere].every((a) => sink.at.has(a)));
        for (const a of [...agentTo, ...elsewhere]) expect(sink.at.get(a)).toBeLessThan(resumesAt);
        expect(own.some((a) => sink.at.has(a))).toBe(false);

        const rows = await allSettled([...ids.own, ...ids.agent, ...ids.elsewhere]);
        expect(rows.filter((m) => m.status !== 'sent')).toEqual([]);
        // The paused account's messages went out once its window was over, none before.
        for (const a of own) expect(sink.at.get(a)).toBeGreaterThanOrEqual(resumesAt);
        // Refused sends are not counted against the message's attempts.
        const ownRows = rows.filter((m) => ids.own.includes(m.id));
        expect(ownRows.every((m) => m.attempts === 1)).toBe(true);
        expect(refusals).toBeGreaterThanOrEqual(1);
        // Those refused say so in their log; the rest waited for the pause.
        const logged = ownRows.flatMap((m) => m.attemptLog.map((e) => e.code));
        expect(logged).toContain('SMTP_QUOTA_EXCEEDED');
        expect(
          ownRows.every((m) =>
            m.attemptLog.some(
              (e) => e.code === 'SMTP_QUOTA_EXCEEDED' || e.code === 'SENDING_PAUSED',
            ),
          ),
        ).toBe(true);
      } finally {
        await Promise.all([server.stop(), other.stop()]);
      }
    });
  });
});
