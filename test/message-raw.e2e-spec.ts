import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type Program = { id: string; secretKey: string; publishableKey: string };

// GET /v1/messages/:id/raw says what is true about the copy it cannot give, as JSON.
describe('GET /v1/messages/:id/raw (e2e)', () => {
  let smtp: SmtpTestServer;
  let plain: TestApp;
  let keeping: TestApp;

  const env = { SMTP_ALLOW_PRIVATE_HOSTS: 'true' };
  async function program(t: TestApp, name: string, withSmtp: boolean): Promise<Program> {
    const p = await t.createProgram({ name });
    await t.http
      .put('/v1/participants/ana')
      .set(bearer(p.secretKey))
      .send({ email: 'ana@example.com' })
      .expect(201);
    if (withSmtp)
      await t.http
        .put('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .send({
          host: '127.0.0.1',
          port: smtp.port,
          security: 'none',
          fromAddress: 'news@acme.test',
        })
        .expect(200);
    return p;
  }
  async function testSend(t: TestApp, p: Program, to = 'ana@example.com') {
    const res = await t.http
      .post('/v1/templates/reward-earned/test')
      .set(bearer(p.secretKey))
      .send({ to })
      .expect(202);
    return settled(t, p, res.body.messageId as string);
  }
  function settled(t: TestApp, p: Program, id: string) {
    return eventually(async () => {
      const m = await t.http.get(`/v1/messages/${id}`).set(bearer(p.secretKey));
      return ['sent', 'failed', 'suppressed'].includes(m.body.status) ? m.body : undefined;
    });
  }
  // The body as text whatever its type: supertest parses only the types it knows.
  const raw = (t: TestApp, p: Program, id: string) =>
    t.http
      .get(`/v1/messages/${id}/raw`)
      .set(bearer(p.secretKey))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const json = /json/.test(String(res.headers['content-type']));
          done(null, json ? JSON.parse(text) : text);
        });
      });

  beforeAll(async () => {
    smtp = await SmtpTestServer.start({ disableSTARTTLS: true, authMethods: [] });
    plain = await startTestApp({ env });
    keeping = await startTestApp({ env: { ...env, KEEP_SENT_MESSAGES: 'true' } });
  });
  afterAll(async () => {
    await plain?.close();
    await keeping?.close();
    await smtp?.stop();
  });

  it('serves the .eml the embedded sender wrote, as message/rfc822', async () => {
    const p = await program(plain, 'Embedded', false);
    const m = await testSend(plain, p);
    expect(m.status).toBe('sent');
    const res = await raw(plain, p, m.id).expect(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(res.body).toContain(`Message-ID: ${m.messageId}`);
  });

  it('says a message sent over SMTP is not kept, and which setting keeps it, as JSON', async () => {
    const p = await program(plain, 'Own server', true);
    const m = await testSend(plain, p);
    expect(m).toMatchObject({ status: 'sent', transport: 'smtp' });
    const res = await raw(plain, p, m.id).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'MESSAGE_RAW_NOT_KEPT' });
    expect(res.body.message).toContain("the program's SMTP server");
    expect(res.body.message).toContain('KEEP_SENT_MESSAGES=true');
  });

  it('with KEEP_SENT_MESSAGES keeps the exact bytes the SMTP server received', async () => {
    const p = await program(keeping, 'Kept', true);
    const before = smtp.received.length;
    const m = await testSend(keeping, p);
    expect(m.transport).toBe('smtp');
    const res = await raw(keeping, p, m.id).expect(200);
    expect(res.headers['content-type']).toMatch(/^message\/rfc822/);
    const got = await eventually(async () =>
      smtp.received.slice(before).find((r) => r.messageId === m.messageId),
    );
    // The server adds nothing before DATA ends; the bytes are the same.
    expect((res.body as string).replace(/\r\n/g, '\n').trim()).toBe(
      got.raw.toString().replace(/\r\n/g, '\n').trim(),
    );
  });

  it('withholds a message that holds one-time links, and keeps no copy of it', async () => {
    const p = await program(keeping, 'Links', true);
    await keeping.http
      .post('/v1/public/verification')
      .set(bearer(p.publishableKey))
      .send({ email: 'ana@example.com' })
      .expect(202);
    const listed = await eventually(async () => {
      const res = await keeping.http
        .get('/v1/messages?template=verification')
        .set(bearer(p.secretKey));
      return res.body.items[0] as { id: string } | undefined;
    });
    const m = await settled(keeping, p, listed.id);
    expect(m.status).toBe('sent');
    const res = await raw(keeping, p, m.id).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.code).toBe('MESSAGE_CONTENT_WITHHELD');
    expect(res.body.message).toMatch(/one-time links/);
    expect(existsSync(join(keeping.dataDir, 'outbox', p.id, `${m.id}.eml`))).toBe(false);
  });

  it('says a message never sent has no copy, and a missing file is missing', async () => {
    const p = await program(plain, 'Held back', false);
    await plain.http
      .put('/v1/suppressions/ana@example.com')
      .set(bearer(p.secretKey))
      .send({})
      .expect(201);
    const held = await testSend(plain, p);
    expect(held.status).toBe('suppressed');
    const res = await raw(plain, p, held.id).expect(404);
    expect(res.body.code).toBe('MESSAGE_NOT_SENT');
    expect(res.body.message).toContain('suppressed');

    await plain.http
      .delete('/v1/suppressions/ana@example.com')
      .set(bearer(p.secretKey))
      .expect(204);
    const sent = await testSend(plain, p);
    rmSync(join(plain.dataDir, 'outbox', p.id, `${sent.id}.eml`));
    const gone = await raw(plain, p, sent.id).expect(404);
    expect(gone.body.code).toBe('MESSAGE_RAW_MISSING');

    const unknown = await raw(plain, p, 'no-such-message').expect(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/json/);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });
});
