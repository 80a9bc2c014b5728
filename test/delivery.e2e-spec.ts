import { simpleParser } from 'mailparser';
import { DataSource, type EntityManager } from 'typeorm';
import { MIN_MESSAGE_CLAIM_MS } from '../src/config/app.config';
import { EntityQueries } from '../src/database/entity-queries';
import { Message } from '../src/messages/message.entity';
import { sampleEmailData } from '../src/templates/renderer';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { JobQueue } from '../src/queue/job-queue.port';
import { SuppressionsService } from '../src/suppressions/suppressions.service';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

describe('Delivery (e2e)', () => {
  let t: TestApp;
  let notify: NotifyParticipant;
  let programs: ProgramsService;
  let db: DataSource;
  let n = 0;

  interface TestEmail {
    programId: string;
    templateKey: string;
    recipient: { email: string; name: string };
    locales: string[];
    data: Record<string, unknown>;
    dedupeKey: string;
  }
  const request = (programId: string, to: string, extra: Partial<TestEmail> = {}): TestEmail => ({
    programId,
    templateKey: 'generic',
    recipient: { email: to, name: 'Ana Souza' },
    locales: ['en'],
    data: sampleEmailData('generic', 'en'),
    dedupeKey: `test-${++n}`,
    ...extra,
  });
  // An email to an address, written the one way every email is.
  const outbox = {
    send: async (r: TestEmail) =>
      notify.execute(undefined, {
        program: (await programs.findById(r.programId))!,
        to: { address: r.recipient.email, name: r.recipient.name },
        template: r.templateKey,
        locales: r.locales,
        data: r.data,
        dedupeKey: r.dedupeKey,
      }),
  };

  const message = (id: string) => db.getRepository(Message).findOneByOrFail({ id });
  const settled = (id: string) =>
    eventually(async () => {
      const m = await message(id);
      return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
    }, 20000);

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        JOB_ATTEMPTS: '4',
        JOB_BACKOFF_MS: '100',
        MESSAGE_STALE_MS: '500',
      },
    });
    notify = t.app.get(NotifyParticipant);
    programs = t.app.get(ProgramsService);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  describe('built-in sender without a relay', () => {
    it('writes the message as an .eml file readable through the message log', async () => {
      const p = await t.createProgram({ name: 'Builtin' });
      const { id } = await outbox.send(request(p.id, 'ana@example.com'));
      const m = await settled(id);
      expect({ status: m.status, error: m.errorMessage }).toEqual({ status: 'sent', error: null });
      expect(m.transport).toBe('builtin');
      const raw = await t.http
        .get(`/v1/messages/${id}/raw`)
        .set(bearer(p.secretKey))
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200)
        .expect('Content-Type', /message\/rfc822/);
      const parsed = await simpleParser(raw.body as Buffer);
      expect(parsed.to).toMatchObject({
        value: [{ address: 'ana@example.com', name: 'Ana Souza' }],
      });
      expect(parsed.subject).toBe(m.subject);
      expect(parsed.messageId).toBe(m.messageId);
      const list = await t.http
        .get('/v1/messages?status=sent')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(list.body.items).toEqual([
        expect.objectContaining({
          id,
          status: 'sent',
          transport: 'builtin',
          template: 'generic',
          to: 'ana@example.com',
          attempts: 1,
        }),
      ]);
    });

    it('writes one message for one dedupe key', async () => {
      const p = await t.createProgram({ name: 'Dedupe' });
      const req = request(p.id, 'bo@example.com');
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => outbox.send(req)));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      await settled(results[0].id);
      expect(await db.getRepository(Message).countBy({ programId: p.id })).toBe(1);
    });
  });

  describe('through the program’s SMTP server', () => {
    let server: SmtpTestServer;
    let p: { id: string; secretKey: string };
    let rcptReply: (address: string) => { code: number; message: string } | undefined;

    beforeAll(async () => {
      rcptReply = () => undefined;
      server = await SmtpTestServer.start({
        users: { mailer: 'app-password-1' },
        onRcptTo: (a) => rcptReply(a),
      });
      p = await t.createProgram({ name: 'Custom SMTP', fromName: 'Acme Rewards' });
      await t.http
        .put('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .send({
          host: 'localhost',
          port: server.port,
          security: 'tls',
          username: 'mailer',
          password: 'app-password-1',
          fromAddress: 'rewards@acme.test',
          fromName: 'Acme Rewards',
        })
        .expect(200);
    });
    afterAll(() => server.stop());
    beforeEach(() => {
      server.reset();
      rcptReply = () => undefined;
    });

    it('sends over STARTTLS with the login and records the server’s answer', async () => {
      const { id } = await outbox.send(request(p.id, 'cai@example.com'));
      const m = await settled(id);
      expect(m.status).toBe('sent');
      expect(m.transport).toBe('smtp');
      expect(m.serverResponse).toMatch(/^250/);
      const [mail] = await server.waitForMessages(1);
      expect(mail.envelope).toMatchObject({
        secure: true,
        user: 'mailer',
        rcptTo: ['cai@example.com'],
      });
      expect(mail.from?.value[0]).toMatchObject({
        address: 'rewards@acme.test',
        name: 'Acme Rewards',
      });
      expect(mail.subject).toBe(m.subject);
      expect(mail.text).toContain('Hi Alex,');
      expect(mail.html).toContain('<table');
      expect(mail.messageId).toBe(m.messageId);
      const detail = await t.http.get(`/v1/messages/${id}`).set(bearer(p.secretKey)).expect(200);
      expect(detail.body).toMatchObject({
        status: 'sent',
        transport: 'smtp',
        content: { subject: m.subject },
      });
      expect(JSON.stringify(detail.body)).not.toContain('app-password-1');
    });

    it('suppresses a recipient the server says does not exist (550 5.1.1), and later mail to it', async () => {
      rcptReply = (a) =>
        a === 'ghost@example.com' ? { code: 550, message: '5.1.1 No such user here' } : undefined;
      const first = await settled((await outbox.send(request(p.id, 'ghost@example.com'))).id);
      expect(first).toMatchObject({ status: 'suppressed', errorPermanent: true, attempts: 1 });
      rcptReply = () => undefined;
      const second = await settled((await outbox.send(request(p.id, 'Ghost@example.com'))).id);
      expect(second).toMatchObject({ status: 'suppressed', errorCode: 'RECIPIENT_SUPPRESSED' });
      expect(server.received).toHaveLength(0);
    });

    it('retries a temporary refusal (452) and delivers', async () => {
      let refusals = 0;
      rcptReply = () =>
        refusals++ < 2 ? { code: 452, message: '4.2.2 Mailbox full, try later' } : undefined;
      const m = await settled((await outbox.send(request(p.id, 'dee@example.com'))).id);
      expect(m.status).toBe('sent');
      expect(m.attempts).toBe(3);
      expect(m.attemptLog.map((a) => a.outcome)).toEqual(['retry', 'retry', 'sent']);
      expect(server.received).toHaveLength(1);
    });

    it('fails at once on a permanent refusal and says why', async () => {
      rcptReply = () => ({ code: 554, message: '5.7.1 Message rejected as spam' });
      const m = await settled((await outbox.send(request(p.id, 'eve@example.com'))).id);
      expect(m.status).toBe('failed');
      expect(m.attempts).toBe(1);
      expect(m.errorPermanent).toBe(true);
      const res = await t.http
        .get(`/v1/messages?status=failed`)
        .set(bearer(p.secretKey))
        .expect(200);
      const item = res.body.items.find((i: { id: string }) => i.id === m.id);
      expect(item.error).toMatchObject({ permanent: true });
      expect(item.error.message).toMatch(/554|rejected/i);
    });

    it('retries a failed message through the API', async () => {
      rcptReply = () => ({ code: 554, message: '5.7.1 Not now' });
      const m = await settled((await outbox.send(request(p.id, 'fay@example.com'))).id);
      expect(m.status).toBe('failed');
      rcptReply = () => undefined;
      await t.http.post(`/v1/messages/${m.id}/retry`).set(bearer(p.secretKey)).expect(202);
      expect((await settled(m.id)).status).toBe('sent');
      const again = await t.http
        .post(`/v1/messages/${m.id}/retry`)
        .set(bearer(p.secretKey))
        .expect(409);
      expect(again.body.code).toBe('MESSAGE_NOT_RETRYABLE');
    });
  });

  it('delivers everything once the SMTP server comes back, marking nothing failed', async () => {
    const server = await SmtpTestServer.start({ authMethods: [], disableSTARTTLS: true });
    const port = server.port;
    const p = await t.createProgram({ name: 'Flaky server' });
    await t.http
      .put('/v1/integrations/smtp')
      .set(bearer(p.secretKey))
      .send({ host: '127.0.0.1', port, security: 'none', fromAddress: 'news@acme.test' })
      .expect(200);
    await server.stop();
    const ids = await Promise.all(
      [1, 2, 3].map(async (i) => (await outbox.send(request(p.id, `down${i}@example.com`))).id),
    );
    await eventually(
      async () =>
        (await Promise.all(ids.map(message))).every(
          (m) => m.attempts >= 2 && m.status === 'queued',
        ),
      20000,
    );
    const back = await SmtpTestServer.start({ authMethods: [], disableSTARTTLS: true, port });
    try {
      const done = await Promise.all(ids.map(settled));
      expect(done.map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);
      expect(back.received).toHaveLength(3);
    } finally {
      await back.stop();
    }
  });

  it('sends what a dead worker left behind, once', async () => {
    const p = await t.createProgram({ name: 'Crash' });
    // A message claimed by a worker that died before sending: still "sending", with its claim expired.
    const now = new Date();
    const id = 'c0ffee00-0000-4000-8000-000000000001';
    await db.getRepository(Message).insert({
      ...(await (async () => {
        const r = request(p.id, 'lost@example.com');
        return {
          programId: r.programId,
          templateKey: r.templateKey,
          locales: r.locales,
          data: r.data,
          toEmail: r.recipient.email,
          toName: null,
          dedupeKey: r.dedupeKey,
        };
      })()),
      id,
      locale: null,
      participantId: null,
      senderId: null,
      sensitive: false,
      status: 'sending',
      transport: null,
      attempts: 1,
      attemptLog: [],
      lockedUntil: new Date(now.getTime() - 1000),
      createdAt: now,
      updatedAt: now,
    } as never);
    const m = await settled(id);
    expect(m.status).toBe('sent');
    expect(m.attempts).toBe(2);
  });

  it('pages through the log with a cursor and filters it', async () => {
    const p = await t.createProgram({ name: 'Paging' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await outbox.send(
            request(p.id, `page${i}@example.com`, {
              templateKey: i % 2 ? 'generic' : 'reward-earned',
            }),
          )
        ).id,
      );
    await Promise.all(ids.map(settled));
    const first = await t.http.get('/v1/messages?limit=2').set(bearer(p.secretKey)).expect(200);
    const second = await t.http
      .get(`/v1/messages?limit=2&cursor=${first.body.nextCursor}`)
      .set(bearer(p.secretKey))
      .expect(200);
    const third = await t.http
      .get(`/v1/messages?limit=2&cursor=${second.body.nextCursor}`)
      .set(bearer(p.secretKey))
      .expect(200);
    const seen = [...first.body.items, ...second.body.items, ...third.body.items].map(
      (i: { id: string }) => i.id,
    );
    expect(new Set(seen).size).toBe(5);
    expect(third.body.nextCursor).toBeNull();
    const byTo = await t.http
      .get('/v1/messages?to=PAGE3@example.com')
      .set(bearer(p.secretKey))
      .expect(200);
    expect(byTo.body.items).toHaveLength(1);
    const other = await t.createProgram({ name: 'Other' });
    await t.http.get(`/v1/messages/${ids[0]}`).set(bearer(other.secretKey)).expect(404);
    const bad = await t.http.get('/v1/messages?status=lost').set(bearer(p.secretKey)).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  // An app of its own: the sweeper of the others (MESSAGE_STALE_MS 500) would queue these again.
  describe('messages committed together', () => {
    let b: TestApp;
    let server: SmtpTestServer;
    let p: { id: string; secretKey: string };

    beforeAll(async () => {
      b = await startTestApp({
        env: {
          SMTP_ALLOW_PRIVATE_HOSTS: 'true',
          // The shortest claim allowed: just one send's timeouts, so a message that waits at all
          // behind its batch must extend its claim before it is sent.
          MESSAGE_CLAIM_MS: String(MIN_MESSAGE_CLAIM_MS),
        },
      });
      server = await SmtpTestServer.start({ authMethods: [], disableSTARTTLS: true });
      p = await b.createProgram({ name: 'Batches' });
      await b.http
        .put('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .send({
          host: '127.0.0.1',
          port: server.port,
          security: 'none',
          fromAddress: 'news@acme.test',
        })
        .expect(200);
    });
    afterAll(async () => {
      await server.stop();
      await b.close();
    });
    const settledIn = (id: string) =>
      eventually(async () => {
        const m = await b.app.get(DataSource).getRepository(Message).findOneByOrFail({ id });
        return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
      }, 20000);

    // `count` emails written in one transaction, with `also` run in it after them.
    const writeTogether = (
      count: number,
      prefix: string,
      also?: (manager: EntityManager) => Promise<unknown>,
    ) =>
      b.app.get(DataSource).transaction(async (manager) => {
        const program = (await b.app.get(ProgramsService).findById(p.id))!;
        const written: string[] = [];
        for (let i = 0; i < count; i++) {
          const r = request(p.id, `${prefix}${i}@example.com`);
          const { id } = await b.app.get(NotifyParticipant).execute(manager, {
            program,
            to: { address: r.recipient.email, name: r.recipient.name },
            template: r.templateKey,
            locales: r.locales,
            data: r.data,
            dedupeKey: r.dedupeKey,
          });
          written.push(id);
        }
        await also?.(manager);
        return written;
      });

    it('delivers messages committed together through one job: each once, a newly suppressed one held', async () => {
      const queue = b.app.get(JobQueue);
      let jobs = 0;
      queue.onJobStart((name) => {
        if (name === 'deliver-messages' || name === 'deliver-message') jobs++;
      });
      // Suppressed after the messages were written: delivery's own check holds it back.
      const ids = await writeTogether(30, 'batch', (manager) =>
        b.app
          .get(SuppressionsService)
          .add(p.id, 'Batch7@example.com', 'manual', 'Asked by phone.', { manager }),
      );
      const done = await Promise.all(ids.map(settledIn));
      expect(done.filter((m) => m.status === 'sent')).toHaveLength(29);
      expect(done[7]).toMatchObject({ status: 'suppressed', errorCode: 'RECIPIENT_SUPPRESSED' });
      const mails = await server.waitForMessages(29);
      expect(new Set(mails.map((m) => m.messageId)).size).toBe(29);
      expect(mails.map((m) => m.envelope.rcptTo[0])).not.toContain('batch7@example.com');
      for (const m of done.filter((d) => d.status === 'sent')) {
        expect(m.attempts).toBe(1);
        expect(m.attemptLog.map((a) => a.outcome)).toEqual(['sent']);
        expect(mails.find((mail) => mail.messageId === m.messageId)?.subject).toBe(m.subject);
      }
      // 30 ids within DELIVERY_BATCH_SIZE (50): one job took them all.
      expect(jobs).toBe(1);
    });

    it('extends the claim of a message that waited behind its batch before sending it', async () => {
      const update = jest.spyOn(EntityQueries.prototype, 'update');
      try {
        const ids = await writeTogether(3, 'claim');
        const done = await Promise.all(ids.map(settledIn));
        expect(done.map((m) => [m.status, m.attempts])).toEqual([
          ['sent', 1],
          ['sent', 1],
          ['sent', 1],
        ]);
        // One conditional update of the claim each, on the row this worker still held.
        const extensions = update.mock.calls.filter(
          ([set, where]) =>
            Object.keys(set).join() === 'lockedUntil' &&
            (where as Partial<Message>).status === 'sending' &&
            ids.includes((where as Partial<Message>).id!),
        );
        expect(extensions.map(([, where]) => (where as Partial<Message>).id).sort()).toEqual(
          [...ids].sort(),
        );
      } finally {
        update.mockRestore();
      }
    });
  });
});
