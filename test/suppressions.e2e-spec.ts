import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { Suppression } from '../src/suppressions/suppression.entity';
import { SuppressionsService } from '../src/suppressions/suppressions.service';
import { sampleEmailData } from '../src/templates/renderer';
import { SmtpTestServer, type SmtpReply } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type Program = { id: string; secretKey: string };

describe('Suppressions (e2e)', () => {
  let t: TestApp;
  let notify: NotifyParticipant;
  let programs: ProgramsService;
  let suppressions: SuppressionsService;
  let db: DataSource;
  let server: SmtpTestServer;
  let p: Program;
  let n = 0;
  // Every recipient the server was offered (RCPT TO), and what it answers now.
  let offered: string[] = [];
  let rcptReply: (address: string) => SmtpReply | undefined = () => undefined;

  /** An email to `to`, written the one way every email is; `password-changed` is transactional. */
  const send = async (to: string, template: 'generic' | 'password-changed' = 'generic') =>
    notify.execute(undefined, {
      program: (await programs.findById(p.id))!,
      to: { address: to, name: 'Ana Souza' },
      template,
      locales: ['en'],
      data: sampleEmailData(template, 'en'),
      dedupeKey: `suppressions-${++n}`,
    });
  const settled = (id: string) =>
    eventually(async () => {
      const m = await db.getRepository(Message).findOneByOrFail({ id });
      return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
    }, 20000);
  const api = (key: string) => ({
    get: (path: string) => t.http.get(path).set(bearer(key)),
    put: (path: string, body?: object) => {
      const req = t.http.put(path).set(bearer(key));
      return body === undefined ? req : req.send(body);
    },
    del: (path: string) => t.http.delete(path).set(bearer(key)),
  });

  beforeAll(async () => {
    server = await SmtpTestServer.start({
      users: { mailer: 'app-password-1' },
      onRcptTo: (address) => {
        offered.push(address);
        return rcptReply(address);
      },
    });
    t = await startTestApp({
      env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', JOB_BACKOFF_MS: '100', MESSAGE_STALE_MS: '500' },
    });
    notify = t.app.get(NotifyParticipant);
    programs = t.app.get(ProgramsService);
    suppressions = t.app.get(SuppressionsService);
    db = t.app.get(DataSource);
    p = await t.createProgram({ name: 'Suppressions' });
    await api(p.secretKey)
      .put('/v1/integrations/smtp', {
        host: 'localhost',
        port: server.port,
        security: 'tls',
        username: 'mailer',
        password: 'app-password-1',
        fromAddress: 'rewards@acme.test',
      })
      .expect(200);
  });
  afterAll(async () => {
    await t.close();
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    offered = [];
    rcptReply = () => undefined;
  });

  it('lists newest first, searches by the beginning of the address in any case, filters by reason, and pages', async () => {
    const mine = await t.createProgram({ name: 'Listed' });
    const other = await t.createProgram({ name: 'Not listed' });
    const at = (second: number) => new Date(Date.UTC(2026, 0, 5, 12, 0, second));
    const row = (
      programId: string,
      emailLower: string,
      reason: Suppression['reason'],
      second: number,
      extra: Partial<Suppression> = {},
    ) => ({
      programId,
      emailLower,
      reason,
      code: null,
      detail: `${reason} detail`,
      messageId: null,
      scope: reason === 'complaint' ? ('non-transactional' as const) : ('all' as const),
      createdAt: at(second),
      ...extra,
    });
    await db.getRepository(Suppression).insert([
      row(mine.id, 'a1@example.com', 'manual', 1),
      row(mine.id, 'a2@example.com', 'complaint', 2),
      row(mine.id, 'b1@example.com', 'rejected', 3, {
        code: 'SMTP_RECIPIENT_UNKNOWN',
        detail: '550 5.1.1 No such user',
        messageId: 'message-1',
      }),
      // The same moment as b1: paging still sees each row once.
      row(mine.id, 'a_3@example.com', 'hard_bounce', 3),
      row(other.id, 'a1@example.com', 'manual', 4),
    ]);
    const { get } = api(mine.secretKey);
    const emails = (res: { body: { items: Array<{ email: string }> } }) =>
      res.body.items.map((i) => i.email);

    const all = await get('/v1/suppressions').expect(200);
    expect(emails(all)).toEqual([
      'b1@example.com',
      'a_3@example.com',
      'a2@example.com',
      'a1@example.com',
    ]);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items[0]).toEqual({
      email: 'b1@example.com',
      reason: 'rejected',
      code: 'SMTP_RECIPIENT_UNKNOWN',
      detail: '550 5.1.1 No such user',
      messageId: 'message-1',
      scope: 'all',
      createdAt: at(3).toISOString(),
    });
    expect(all.body.items[3]).toEqual({
      email: 'a1@example.com',
      reason: 'manual',
      detail: 'manual detail',
      scope: 'all',
      createdAt: at(1).toISOString(),
    });

    expect(emails(await get('/v1/suppressions?email=A').expect(200))).toEqual([
      'a_3@example.com',
      'a2@example.com',
      'a1@example.com',
    ]);
    // "_" and "%" are the address's own characters, not wildcards.
    expect(emails(await get('/v1/suppressions?email=a_').expect(200))).toEqual(['a_3@example.com']);
    expect(emails(await get('/v1/suppressions?email=%25').expect(200))).toEqual([]);
    const complaints = await get('/v1/suppressions?reason=complaint').expect(200);
    expect(complaints.body.items).toEqual([
      expect.objectContaining({ email: 'a2@example.com', scope: 'non-transactional' }),
    ]);
    expect(emails(await get('/v1/suppressions?reason=manual&email=a').expect(200))).toEqual([
      'a1@example.com',
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(
        `/v1/suppressions?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ).expect(200);
      expect(page.body.items).toHaveLength(1);
      seen.push(...emails(page));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(emails(all));

    expect(emails(await api(other.secretKey).get('/v1/suppressions').expect(200))).toEqual([
      'a1@example.com',
    ]);
    const badReason = await get('/v1/suppressions?reason=soft_bounce').expect(400);
    expect(badReason.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ field: 'reason' })],
    });
    expect((await get('/v1/suppressions?cursor=bm9wZQ').expect(400)).body.code).toBe(
      'CURSOR_INVALID',
    );
    expect((await get('/v1/suppressions?limit=0').expect(400)).body.code).toBe('VALIDATION_FAILED');
  });

  it('adds a manual suppression with PUT: the address checked, 201 once, then 200 keeping the first', async () => {
    const { put } = api(p.secretKey);
    const invalid = await put('/v1/suppressions/not-an-address', {}).expect(400);
    expect(invalid.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ field: 'email', code: 'INVALID_EMAIL_ADDRESS' })],
    });
    const unicode = await put(`/v1/suppressions/${encodeURIComponent('ana@bücher.de')}`, {});
    expect(unicode.status).toBe(400);
    expect(unicode.body.details[0].message).toContain('xn--bcher-kva.de');

    const created = await put('/v1/suppressions/Carl@Example.com', {
      note: 'Asked us to stop writing',
    }).expect(201);
    expect(created.body).toEqual({
      email: 'carl@example.com',
      reason: 'manual',
      detail: 'Asked us to stop writing',
      scope: 'all',
      createdAt: expect.any(String),
    });
    const again = await put('/v1/suppressions/carl@example.com', { note: 'Second time' }).expect(
      200,
    );
    expect(again.body).toEqual(created.body);

    const bare = await put('/v1/suppressions/dana@example.com').expect(201);
    expect(bare.body).toMatchObject({ email: 'dana@example.com', reason: 'manual', detail: '' });
    expect(
      (await put('/v1/suppressions/eli@example.com', { note: 'two\nlines' }).expect(400)).body
        .details,
    ).toEqual([expect.objectContaining({ field: 'note' })]);
    expect(
      (await put('/v1/suppressions/eli@example.com', { reason: 'complaint' }).expect(400)).body
        .details,
    ).toEqual([expect.objectContaining({ field: 'reason', code: 'UNKNOWN_FIELD' })]);
    // The publishable key may not manage suppressions.
    const program = await t.createProgram({ name: 'Keys' });
    await t.http
      .put('/v1/suppressions/eli@example.com')
      .set(bearer(program.publishableKey))
      .expect(403);
  });

  it('holds back every message to a manually suppressed address, with no SMTP traffic', async () => {
    await api(p.secretKey).put('/v1/suppressions/frank@example.com', {}).expect(201);
    const marketing = await send('Frank@Example.com');
    const transactional = await send('frank@example.com', 'password-changed');
    expect([marketing.status, transactional.status]).toEqual(['suppressed', 'suppressed']);
    const held = await settled(marketing.id);
    expect(held).toMatchObject({
      status: 'suppressed',
      errorCode: 'RECIPIENT_SUPPRESSED',
      attempts: 0,
    });
    expect(held.errorMessage).toContain(
      'frank@example.com is suppressed because it was suppressed by hand',
    );
    expect(held.errorMessage).toContain('Lift the suppression');

    // Retried while still suppressed: delivery checks again and sends nothing.
    await api(p.secretKey)
      .get(`/v1/messages/${marketing.id}`)
      .expect(200)
      .expect((res) => expect(res.body.status).toBe('suppressed'));
    await t.http.post(`/v1/messages/${marketing.id}/retry`).set(bearer(p.secretKey)).expect(202);
    const retried = await settled(marketing.id);
    expect(retried).toMatchObject({ status: 'suppressed', errorCode: 'RECIPIENT_SUPPRESSED' });
    expect(retried.attemptLog.map((a) => a.outcome)).toEqual(['suppressed']);
    expect(offered).toEqual([]);
    expect(server.received).toHaveLength(0);
  });

  it('lifts a suppression: the next message is delivered, and a held-back one retried is too', async () => {
    const { put, del, get } = api(p.secretKey);
    await put('/v1/suppressions/gina@example.com', { note: 'By mistake' }).expect(201);
    const held = await send('gina@example.com');
    expect(held.status).toBe('suppressed');

    await del('/v1/suppressions/Gina@Example.com').expect(204);
    expect((await get('/v1/suppressions?email=gina').expect(200)).body.items).toEqual([]);
    const gone = await del('/v1/suppressions/gina@example.com').expect(404);
    expect(gone.body).toMatchObject({ statusCode: 404, code: 'SUPPRESSION_NOT_FOUND' });
    expect(gone.body.message).toContain('gina@example.com');

    const next = await settled((await send('gina@example.com')).id);
    expect(next.status).toBe('sent');
    await t.http.post(`/v1/messages/${held.id}/retry`).set(bearer(p.secretKey)).expect(202);
    expect((await settled(held.id)).status).toBe('sent');
    const mails = await server.waitForMessages(2);
    expect(mails.map((m) => m.envelope.rcptTo)).toEqual([
      ['gina@example.com'],
      ['gina@example.com'],
    ]);
  });

  it('lets a complaint hold back marketing but not transactional email, until a hard bounce widens it', async () => {
    const email = 'hana@example.com';
    const complaint = await suppressions.add(p.id, email, 'complaint', 'Marked as spam (abuse).', {
      messageId: 'message-9',
    });
    expect(complaint).toMatchObject({
      created: true,
      suppression: { reason: 'complaint', scope: 'non-transactional', messageId: 'message-9' },
    });
    expect(await suppressions.find(p.id, email, 'transactional')).toBeNull();
    expect(await suppressions.find(p.id, email, 'marketing')).toMatchObject({
      reason: 'complaint',
    });
    expect(await suppressions.find(p.id, email)).toMatchObject({ reason: 'complaint' });

    const marketing = await send(email);
    expect(marketing.status).toBe('suppressed');
    const reset = await settled((await send(email, 'password-changed')).id);
    expect(reset.status).toBe('sent');
    expect(offered).toEqual([email]);

    // The first reason stays, unless a wider scope comes: then that one replaces it.
    expect(
      await suppressions.add(p.id, email, 'manual', 'no', { scope: 'non-transactional' }),
    ).toMatchObject({ created: false, suppression: { reason: 'complaint' } });
    const bounced = await suppressions.add(p.id, email, 'hard_bounce', '5.1.1 user unknown', {
      messageId: 'message-10',
    });
    expect(bounced).toMatchObject({
      created: false,
      suppression: { reason: 'hard_bounce', scope: 'all', messageId: 'message-10' },
    });
    await suppressions.add(p.id, email, 'complaint', 'Marked as spam again.');
    const listed = await api(p.secretKey).get(`/v1/suppressions?email=${email}`).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ reason: 'hard_bounce', scope: 'all', messageId: 'message-10' }),
    ]);
    expect((await send(email, 'password-changed')).status).toBe('suppressed');
    expect(
      await db.getRepository(Suppression).countBy({ programId: p.id, emailLower: email }),
    ).toBe(1);
  });

  it('records a 5.1.x refusal as rejected, with its code and the message that caused it', async () => {
    rcptReply = (a) =>
      a === 'ivan@example.com' ? { code: 550, message: '5.1.1 No such user here' } : undefined;
    const first = await settled((await send('ivan@example.com')).id);
    expect(first.status).toBe('suppressed');
    const listed = await api(p.secretKey).get('/v1/suppressions?email=ivan@').expect(200);
    expect(listed.body.items).toEqual([
      {
        email: 'ivan@example.com',
        reason: 'rejected',
        code: 'SMTP_RECIPIENT_UNKNOWN',
        detail: expect.stringContaining('5.1.1 No such user here'),
        messageId: first.id,
        scope: 'all',
        createdAt: expect.any(String),
      },
    ]);
    const second = await settled((await send('ivan@example.com', 'password-changed')).id);
    expect(second).toMatchObject({ status: 'suppressed', errorCode: 'RECIPIENT_SUPPRESSED' });
    expect(second.errorMessage).toContain(
      'the receiving server refused it (SMTP_RECIPIENT_UNKNOWN',
    );
  });

  it('finds participants by address, exactly and in any case', async () => {
    const { put, get } = api(p.secretKey);
    await put('/v1/participants/p-ana', { email: 'Ana.Souza@Example.com' }).expect(201);
    const found = await get('/v1/participants?email=ana.souza@EXAMPLE.com').expect(200);
    expect(found.body.items).toEqual([
      expect.objectContaining({ id: 'p-ana', email: 'Ana.Souza@Example.com' }),
    ]);
    expect((await get('/v1/participants?email=ana.souza').expect(200)).body).toEqual({
      items: [],
    });
    expect(
      (await get('/v1/participants?email=ana.souza@example.com.br').expect(200)).body.items,
    ).toEqual([]);
    const other = await t.createProgram({ name: 'Other' });
    expect(
      (await api(other.secretKey).get('/v1/participants?email=ana.souza@example.com').expect(200))
        .body.items,
    ).toEqual([]);
    const missing = await get('/v1/participants').expect(400);
    expect(missing.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ field: 'email' })],
    });
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/suppressions', '/v1/suppressions/{email}', '/v1/participants']),
    );
    expect(Object.keys(doc.body.paths['/v1/suppressions/{email}'])).toEqual(
      expect.arrayContaining(['put', 'delete']),
    );
    for (const method of ['put', 'delete'])
      expect(doc.body.paths['/v1/suppressions/{email}'][method].parameters).toEqual([
        expect.objectContaining({ name: 'email', in: 'path', required: true }),
      ]);
    expect(doc.body.paths['/v1/participants'].get.parameters).toEqual([
      expect.objectContaining({ name: 'email', in: 'query', required: true }),
    ]);
    expect(doc.body.paths['/v1/participants'].get.responses['200']).toBeDefined();
  });
});
