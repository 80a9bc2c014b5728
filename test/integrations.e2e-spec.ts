import type { DNSResolver } from 'mailauth';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { promises as dns } from 'node:dns';
import type { Response } from 'supertest';
import { MailAccounts } from '../src/transports/accounts/mail-accounts';
import { MailTransports } from '../src/transports/mail-transports';
import { composeMessage } from '../src/transports/compose/dkim-signing';
import type { MailRoute } from '../src/transports/mail-route';
import { DnsTestServer } from './support/dns-test-server';
import { ImapTestServer } from './support/imap-test-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, startTestApp, type TestApp } from './support/test-app';

const PW = {
  owner: 'owner-Secret-9f3k',
  ana: 'ana-Secret-2h7q',
  bob: 'bob-Secret-5m1x',
  carol: 'carol-Secret-8d4v',
  carolImap: 'carol-Imap-6z0p',
  wrong: 'not-the-Password-1',
};
const SECRETS = Object.values(PW);
const USERS = {
  'owner@acme.test': PW.owner,
  'ana@acme.test': PW.ana,
  'bob@acme.test': PW.bob,
  'carol@acme.test': PW.carol,
};
const GMAIL_534 =
  '5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor gsmtp';

type Program = { id: string; secretKey: string };
type Smtp = MailRoute & { kind: 'smtp' };

describe('Integrations (e2e)', () => {
  let t: TestApp;
  // Routing as delivery asks for it, and what a failed send records.
  let integrations: {
    routeFor: MailTransports['routeFor'];
    markFailing: MailAccounts['routeFailed'];
    appendToSent: MailTransports['fileSentCopy'];
  };
  let dnsServer: DnsTestServer;
  let starttls: SmtpTestServer;
  let implicit: SmtpTestServer;
  let plain: SmtpTestServer;
  let hidden: SmtpTestServer;
  let gmail: SmtpTestServer;
  let imap: ImapTestServer;
  // Every response body, to prove no password ever leaves.
  const bodies: string[] = [];

  const track = (res: Response) => {
    bodies.push(res.text ?? '');
    return res;
  };
  const put = async (p: Program, path: string, body: object) =>
    track(await t.http.put(path).set(bearer(p.secretKey)).send(body));
  const post = async (p: Program, path: string, body: object = {}) =>
    track(await t.http.post(path).set(bearer(p.secretKey)).send(body));
  const get = async (p: Program, path: string) =>
    track(await t.http.get(path).set(bearer(p.secretKey)));
  const del = async (p: Program, path: string) =>
    track(await t.http.delete(path).set(bearer(p.secretKey)));

  const smtpBody = (
    server: SmtpTestServer,
    security: 'none' | 'tls' | 'ssl',
    extra: Record<string, unknown> = {},
  ) => ({
    host: server.host,
    port: server.port,
    security,
    username: 'owner@acme.test',
    password: PW.owner,
    fromAddress: 'rewards@acme.test',
    fromName: 'Acme Rewards',
    ...extra,
  });

  beforeAll(async () => {
    [dnsServer, starttls, implicit, plain, hidden, gmail, imap] = await Promise.all([
      DnsTestServer.start(),
      SmtpTestServer.start({ users: USERS }),
      SmtpTestServer.start({ secure: true, users: USERS }),
      SmtpTestServer.start({ disableSTARTTLS: true, authMethods: [] }),
      SmtpTestServer.start({ hideSTARTTLS: true, users: USERS }),
      SmtpTestServer.start({ onAuth: () => ({ code: 534, message: GMAIL_534 }) }),
      ImapTestServer.start({
        users: {
          'ana@acme.test': { password: PW.ana, mailboxes: ['Sent', 'Outgoing Archive', 'Drafts'] },
          'bob@acme.test': { password: PW.bob, mailboxes: ['Drafts', 'Sent Items'] },
          'carol@acme.test': PW.carolImap,
        },
        specialUse: { 'Outgoing Archive': '\\Sent' },
      }),
    ]);
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        DNS_SERVERS: dnsServer.address,
        BUILTIN_FROM_ADDRESS: 'notifications@platform.test',
      },
    });
    const transports = t.app.get(MailTransports);
    const accounts = t.app.get(MailAccounts);
    integrations = {
      routeFor: (programId, senderId) => transports.routeFor(programId, senderId),
      markFailing: (...args) => accounts.routeFailed(...args),
      appendToSent: (route, raw) => transports.fileSentCopy(route, raw),
    };
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all(
      [dnsServer, starttls, implicit, plain, hidden, gmail, imap].map((s) => s?.stop()),
    );
  });

  describe('SMTP server', () => {
    let p: Program;
    let other: Program;

    beforeAll(async () => {
      p = await t.createProgram({
        name: 'Acme',
        fromName: 'Acme Program',
        replyTo: 'help@acme.test',
      });
      other = await t.createProgram({ name: 'Other' });
    });

    it('connects over implicit TLS (ssl) and answers without the password', async () => {
      const res = await put(p, '/v1/integrations/smtp', smtpBody(implicit, 'ssl'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'connected',
        host: '127.0.0.1',
        port: implicit.port,
        security: 'ssl',
        username: 'owner@acme.test',
        testFromAddress: null,
        fromAddress: 'rewards@acme.test',
        fromName: 'Acme Rewards',
        hasPassword: true,
      });
      expect(Date.parse(res.body.connectedAt)).not.toBeNaN();
      expect(res.body.password).toBeUndefined();
      expect(implicit.authAttempts).toContainEqual(
        expect.objectContaining({ username: 'owner@acme.test', accepted: true }),
      );
      const read = await get(p, '/v1/integrations/smtp');
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
    });

    it('connects with STARTTLS (tls)', async () => {
      const res = await put(p, '/v1/integrations/smtp', smtpBody(starttls, 'tls'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'connected',
        port: starttls.port,
        security: 'tls',
        hasPassword: true,
      });
      expect(starttls.authAttempts).toContainEqual(
        expect.objectContaining({ username: 'owner@acme.test', accepted: true }),
      );
    });

    it('connects in plaintext (none) to a server that needs no login', async () => {
      const res = await put(other, '/v1/integrations/smtp', {
        host: plain.host,
        port: plain.port,
        security: 'none',
        fromAddress: 'hello@other.test',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'connected',
        security: 'none',
        username: null,
        hasPassword: false,
      });
      const sent = await post(other, '/v1/integrations/smtp/test', { to: 'someone@example.com' });
      expect(sent.status).toBe(200);
      const [mail] = await plain.waitForMessages(1);
      expect(mail.envelope).toMatchObject({ mailFrom: 'hello@other.test', secure: false });
      expect(mail.envelope.user).toBeUndefined();
      await del(other, '/v1/integrations/smtp');
    });

    it('refuses a login over a plaintext connection unless the program allows it', async () => {
      const q = await t.createProgram({ name: 'Insecure' });
      const refused = await put(q, '/v1/integrations/smtp', smtpBody(plain, 'none'));
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('SMTP_PLAINTEXT_AUTH_REFUSED');
      await t.http
        .patch('/v1/program')
        .set(bearer(q.secretKey))
        .send({ settings: { allowInsecureSmtp: true } })
        .expect(200);
      // Now the login is tried; this server offers no AUTH at all, so it is the server that refuses.
      const tried = await put(q, '/v1/integrations/smtp', smtpBody(plain, 'none'));
      expect(tried.status).toBe(422);
      expect(tried.body.code).not.toBe('SMTP_PLAINTEXT_AUTH_REFUSED');
    });

    it('answers SMTP_STARTTLS_UNAVAILABLE when tls is chosen and the server offers no STARTTLS', async () => {
      const res = await put(other, '/v1/integrations/smtp', smtpBody(hidden, 'tls'));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ statusCode: 422, code: 'SMTP_STARTTLS_UNAVAILABLE' });
      expect(res.body.message).toMatch(/STARTTLS/);
    });

    it('answers SMTP_TLS_MISMATCH for ssl on a STARTTLS port', async () => {
      const res = await put(other, '/v1/integrations/smtp', smtpBody(starttls, 'ssl'));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SMTP_TLS_MISMATCH');
      expect(res.body.message).toMatch(/TLS \(STARTTLS\)/);
    });

    it('answers SMTP_TLS_MISMATCH for tls on an implicit-TLS port', async () => {
      const res = await put(other, '/v1/integrations/smtp', smtpBody(implicit, 'tls'));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SMTP_TLS_MISMATCH');
      expect(res.body.message).toMatch(/SSL/);
    }, 30000);

    it('answers SMTP_AUTH_FAILED for a wrong password and keeps what was saved', async () => {
      const before = await get(p, '/v1/integrations/smtp');
      expect(before.body).toMatchObject({ security: 'tls', port: starttls.port });
      const res = await put(
        p,
        '/v1/integrations/smtp',
        smtpBody(implicit, 'ssl', { password: PW.wrong, fromAddress: 'changed@acme.test' }),
      );
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SMTP_AUTH_FAILED');
      expect(res.body.message).toMatch(/535/);
      const after = await get(p, '/v1/integrations/smtp');
      expect(after.body).toEqual(before.body);
    });

    it('explains a Gmail 534 5.7.9 with App Passwords and 2-Step Verification', async () => {
      const res = await put(
        other,
        '/v1/integrations/smtp',
        smtpBody(gmail, 'tls', { username: 'someone@gmail.com' }),
      );
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SMTP_APP_PASSWORD_REQUIRED');
      expect(res.body.message).toMatch(/App Password/);
      expect(res.body.message).toMatch(/2-Step Verification/);
      expect(res.body.message).not.toMatch(/less secure/i);
    });

    it('keeps the stored password when none is sent, for the same host and username', async () => {
      starttls.reset();
      const res = await put(p, '/v1/integrations/smtp', {
        ...smtpBody(starttls, 'tls', { fromName: 'Acme Team', testFromAddress: 'tests@acme.test' }),
        password: undefined,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        fromName: 'Acme Team',
        testFromAddress: 'tests@acme.test',
        hasPassword: true,
      });
      expect(starttls.authAttempts).toEqual([
        expect.objectContaining({ username: 'owner@acme.test', accepted: true }),
      ]);
      // A stored password is never sent to another host than the one it was entered for.
      const moved = await put(p, '/v1/integrations/smtp', {
        ...smtpBody(starttls, 'tls', { host: 'localhost' }),
        password: undefined,
      });
      expect(moved.status).toBe(400);
      expect(moved.body.code).toBe('SMTP_PASSWORD_REQUIRED');
    });

    it('sends a real test email through the saved server', async () => {
      starttls.reset();
      const res = await post(p, '/v1/integrations/smtp/test', { to: 'marketer@example.com' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: ['marketer@example.com'], rejected: [] });
      expect(res.body.response).toMatch(/^250 /);
      expect(res.body.messageId).toMatch(/^<.+@.+>$/);
      const [mail] = await starttls.waitForMessages(1);
      expect(mail.from?.value[0]).toMatchObject({ address: 'tests@acme.test', name: 'Acme Team' });
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : undefined).toBe(
        'marketer@example.com',
      );
      expect(mail.subject).toBe('Test email from Acme');
      expect(mail.text).toContain('test email from Acme');
      expect(mail.html).toContain('<p>');
      expect(mail.messageId).toBe(res.body.messageId);
      expect(mail.envelope).toMatchObject({
        user: 'owner@acme.test',
        secure: true,
        rcptTo: ['marketer@example.com'],
      });
    });

    it('answers a test send the server refuses with 422 and its reason', async () => {
      const q = await t.createProgram({ name: 'Refused' });
      const refusing = await SmtpTestServer.start({
        users: USERS,
        onRcptTo: () => ({ code: 550, message: '5.1.1 No such user here' }),
      });
      try {
        await put(q, '/v1/integrations/smtp', smtpBody(refusing, 'tls')).then((r) =>
          expect(r.status).toBe(200),
        );
        const res = await post(q, '/v1/integrations/smtp/test', { to: 'nobody@example.com' });
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('SMTP_RECIPIENT_REJECTED');
        expect(res.body.message).toMatch(/5\.1\.1/);
      } finally {
        await refusing.stop();
      }
    });

    it('answers 409 to a test send without a connected server, and 404 to reading it', async () => {
      const q = await t.createProgram({ name: 'Nothing' });
      const res = await post(q, '/v1/integrations/smtp/test', { to: 'marketer@example.com' });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SMTP_NOT_CONNECTED');
      const read = await get(q, '/v1/integrations/smtp');
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('SMTP_NOT_CONNECTED');
    });

    it("never shows one program's server to another", async () => {
      const read = await get(other, '/v1/integrations/smtp');
      expect(read.status).toBe(404);
    });

    it('validates every field of the body', async () => {
      const res = await put(other, '/v1/integrations/smtp', {
        host: 'smtp.example.com\r\nX: y',
        port: 70000,
        security: 'starttls',
        fromAddress: 'not-an-address',
        fromName: 'Acme\r\nBcc: x@evil.test',
        extra: true,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = [...new Set(res.body.details.map((d: { field: string }) => d.field))].sort();
      expect(fields).toEqual(['extra', 'fromAddress', 'fromName', 'host', 'port', 'security']);
      const to = await post(p, '/v1/integrations/smtp/test', {
        to: 'a@example.com\r\nBcc: b@example.com',
      });
      expect(to.status).toBe(400);
    });

    it('routes mail through the connected server with the program defaults', async () => {
      const route = (await integrations.routeFor(p.id)) as Smtp;
      expect(route).toMatchObject({
        kind: 'smtp',
        from: { address: 'rewards@acme.test', name: 'Acme Team' },
        replyTo: 'help@acme.test',
        senderId: null,
        saveToSent: false,
        settings: {
          host: '127.0.0.1',
          port: starttls.port,
          security: 'tls',
          username: 'owner@acme.test',
          password: PW.owner,
        },
      });
      expect(route.transportKey).toContain(route.integrationId);
    });

    it('marks the integration failing, keeps routing to it, and clears that on the next connect', async () => {
      const before = (await integrations.routeFor(p.id)) as Smtp;
      await integrations.markFailing(p.id, before.integrationId, null, {
        code: 'SMTP_AUTH_FAILED',
        message: 'SMTP login failed (535 5.7.8).',
      });
      const failing = await get(p, '/v1/integrations/smtp');
      expect(failing.body).toMatchObject({
        status: 'failing',
        lastError: { code: 'SMTP_AUTH_FAILED', message: 'SMTP login failed (535 5.7.8).' },
      });
      const during = (await integrations.routeFor(p.id)) as Smtp;
      expect(during.kind).toBe('smtp');
      expect(during.version).not.toBe(before.version);
      // A route of a replaced integration changes nothing.
      await integrations.markFailing(p.id, 'some-old-integration', null, {
        code: 'SMTP_AUTH_FAILED',
        message: 'old',
      });
      expect((await get(p, '/v1/integrations/smtp')).body.lastError.message).toBe(
        'SMTP login failed (535 5.7.8).',
      );
      const res = await put(p, '/v1/integrations/smtp', {
        ...smtpBody(starttls, 'tls', { fromName: 'Acme Team', testFromAddress: 'tests@acme.test' }),
        password: undefined,
      });
      expect(res.body).toMatchObject({ status: 'connected', lastError: null });
    });

    it('refuses internal hosts without SMTP_ALLOW_PRIVATE_HOSTS', async () => {
      // A second app on the same database, with the default SSRF guard.
      const guarded = await startTestApp({
        fresh: false,
        env: { SMTP_ALLOW_PRIVATE_HOSTS: undefined },
      });
      try {
        const q = await guarded.createProgram({ name: 'Guarded' });
        for (const host of ['127.0.0.1', 'localhost', '169.254.169.254']) {
          const res = track(
            await guarded.http
              .put('/v1/integrations/smtp')
              .set(bearer(q.secretKey))
              .send({ ...smtpBody(starttls, 'tls'), host, port: 587 }),
          );
          expect(res.status).toBe(422);
          expect(res.body.code).toBe('SMTP_HOST_NOT_ALLOWED');
        }
        const read = await guarded.http.get('/v1/integrations/smtp').set(bearer(q.secretKey));
        expect(read.status).toBe(404);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('sender identities', () => {
    let p: Program;
    const imapSettings = () => ({ host: imap.host, port: imap.port, security: 'ssl' as const });

    beforeAll(async () => {
      p = await t.createProgram({ name: 'Agents', fromName: 'Agents Inc' });
      const res = await put(
        p,
        '/v1/integrations/smtp',
        smtpBody(starttls, 'tls', { fromAddress: 'team@acme.test', fromName: 'Acme Team' }),
      );
      expect(res.status).toBe(200);
    });

    it('needs a connected server first', async () => {
      const q = await t.createProgram({ name: 'No server' });
      const res = await put(q, '/v1/integrations/smtp/senders/ana', {
        email: 'ana@acme.test',
        password: PW.ana,
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SMTP_NOT_CONNECTED');
    });

    it("verifies each sender's own login, and IMAP when it is given", async () => {
      starttls.reset();
      const res = await put(p, '/v1/integrations/smtp/senders/ana', {
        email: 'ana@acme.test',
        password: PW.ana,
        fromName: 'Ana',
        saveToSent: 'on',
        imap: imapSettings(),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        senderId: 'ana',
        email: 'ana@acme.test',
        fromName: 'Ana',
        status: 'connected',
        saveToSent: 'on',
        savesToSent: true,
        imap: { ...imapSettings(), sentFolder: null },
        hasPassword: true,
        lastError: null,
      });
      expect(starttls.authAttempts).toEqual([
        expect.objectContaining({ username: 'ana@acme.test', accepted: true }),
      ]);
      const again = await put(p, '/v1/integrations/smtp/senders/ana', { email: 'ana@acme.test' });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ fromName: 'Ana', saveToSent: 'on', imap: imapSettings() });
    });

    it('answers 422 for a wrong sender password and saves nothing', async () => {
      const res = await put(p, '/v1/integrations/smtp/senders/bob', {
        email: 'bob@acme.test',
        password: PW.wrong,
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('SMTP_AUTH_FAILED');
      expect((await get(p, '/v1/integrations/smtp/senders/bob')).status).toBe(404);
      const missing = await put(p, '/v1/integrations/smtp/senders/bob', { email: 'bob@acme.test' });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('SENDER_PASSWORD_REQUIRED');
    });

    it('refuses an invalid sender id and validates the body', async () => {
      const bad = await put(p, '/v1/integrations/smtp/senders/a%20b', {
        email: 'x@acme.test',
        password: 'x',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_SENDER_ID');
      const body = await put(p, '/v1/integrations/smtp/senders/x', {
        email: 'x@acme.test\r\n',
        password: 'x',
        saveToSent: 'always',
        imap: { host: 'h', port: 0, security: 'x' },
      });
      expect(body.status).toBe(400);
      const fields = body.body.details.map((d: { field: string }) => d.field).sort();
      expect(fields).toEqual(
        expect.arrayContaining(['email', 'saveToSent', 'imap.port', 'imap.security']),
      );
    });

    it("sends a test email From the sender with the sender's login, and files it in Sent", async () => {
      starttls.reset();
      const res = await post(p, '/v1/integrations/smtp/senders/ana/test', {
        to: 'customer@example.com',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        accepted: ['customer@example.com'],
        sentFolder: { saved: true, mailbox: 'Outgoing Archive' },
      });
      const [mail] = await starttls.waitForMessages(1);
      expect(mail.from?.value[0]).toMatchObject({ address: 'ana@acme.test', name: 'Ana' });
      expect(mail.envelope).toMatchObject({ user: 'ana@acme.test', mailFrom: 'ana@acme.test' });
      const copy = await imap.findMessage('ana@acme.test', res.body.messageId);
      expect(copy).toMatchObject({ mailbox: 'Outgoing Archive', specialUse: '\\Sent' });
    });

    it('routes a sender’s mail with its login and From, and the others with the integration’s', async () => {
      const route = (await integrations.routeFor(p.id, 'ana')) as Smtp;
      expect(route).toMatchObject({
        kind: 'smtp',
        senderId: 'ana',
        saveToSent: true,
        from: { address: 'ana@acme.test', name: 'Ana' },
        settings: {
          host: '127.0.0.1',
          port: starttls.port,
          security: 'tls',
          username: 'ana@acme.test',
          password: PW.ana,
        },
      });
      const fallback = (await integrations.routeFor(p.id, 'nobody')) as Smtp;
      expect(fallback).toMatchObject({
        senderId: null,
        from: { address: 'team@acme.test', name: 'Acme Team' },
        settings: { username: 'owner@acme.test' },
      });
      expect(fallback.transportKey).not.toBe(route.transportKey);
    });

    it('appends the exact bytes of a sent message to the folder the server flags \\Sent', async () => {
      const route = (await integrations.routeFor(p.id, 'ana')) as Smtp;
      const messageId = `<append-${Date.now()}@acme.test>`;
      const { raw } = await composeMessage({
        from: 'ana@acme.test',
        to: 'friend@example.com',
        subject: 'Exact copy',
        text: 'Line one\nLine two\n',
        messageId,
      });
      await integrations.appendToSent(route, raw);
      const copy = await imap.findMessage('ana@acme.test', messageId);
      expect(copy?.mailbox).toBe('Outgoing Archive');
      expect(copy?.flags).toContain('\\Seen');
      expect(copy?.source.equals(raw)).toBe(true);
    });

    it('falls back to a Sent folder by name when the server flags none', async () => {
      const res = await put(p, '/v1/integrations/smtp/senders/bob', {
        email: 'bob@acme.test',
        password: PW.bob,
        imap: imapSettings(),
      });
      expect(res.status).toBe(201);
      expect(res.body.savesToSent).toBe(true);
      const route = (await integrations.routeFor(p.id, 'bob')) as Smtp;
      const messageId = `<byname-${Date.now()}@acme.test>`;
      const { raw } = await composeMessage({
        from: 'bob@acme.test',
        to: 'friend@example.com',
        subject: 'By name',
        text: 'Hello\n',
        messageId,
      });
      await integrations.appendToSent(route, raw);
      const copy = await imap.findMessage('bob@acme.test', messageId);
      expect(copy?.mailbox).toBe('Sent Items');
      expect(copy?.source.equals(raw)).toBe(true);
    });

    it('keeps no copy when saveToSent is off', async () => {
      const res = await put(p, '/v1/integrations/smtp/senders/bob', {
        email: 'bob@acme.test',
        saveToSent: 'off',
      });
      expect(res.body).toMatchObject({ saveToSent: 'off', savesToSent: false });
      const route = (await integrations.routeFor(p.id, 'bob')) as Smtp;
      expect(route.saveToSent).toBe(false);
    });

    it('marks a sender failing on its own, leaving the integration connected', async () => {
      const route = (await integrations.routeFor(p.id, 'bob')) as Smtp;
      await integrations.markFailing(p.id, route.integrationId, 'bob', {
        code: 'SMTP_AUTH_FAILED',
        message: 'Bob’s login failed.',
      });
      expect((await get(p, '/v1/integrations/smtp/senders/bob')).body).toMatchObject({
        status: 'failing',
        lastError: { code: 'SMTP_AUTH_FAILED' },
      });
      expect((await get(p, '/v1/integrations/smtp')).body.status).toBe('connected');
      const sent = await post(p, '/v1/integrations/smtp/senders/bob/test', {
        to: 'customer@example.com',
      });
      expect(sent.status).toBe(200);
      expect(sent.body.sentFolder).toBeUndefined();
      expect((await get(p, '/v1/integrations/smtp/senders/bob')).body).toMatchObject({
        status: 'connected',
        lastError: null,
      });
    });

    it('answers 422 when the IMAP login fails', async () => {
      const res = await put(p, '/v1/integrations/smtp/senders/carol', {
        email: 'carol@acme.test',
        password: PW.carol,
        imap: imapSettings(),
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IMAP_AUTH_FAILED');
      expect((await get(p, '/v1/integrations/smtp/senders/carol')).status).toBe(404);
    });

    it('lists, reads and deletes senders', async () => {
      const list = await get(p, '/v1/integrations/smtp/senders');
      expect(list.status).toBe(200);
      expect(list.body.items.map((s: { senderId: string }) => s.senderId)).toEqual(['ana', 'bob']);
      expect((await del(p, '/v1/integrations/smtp/senders/bob')).status).toBe(204);
      expect((await get(p, '/v1/integrations/smtp/senders/bob')).status).toBe(404);
      expect((await del(p, '/v1/integrations/smtp/senders/bob')).status).toBe(404);
      const other = await t.createProgram({ name: 'Nosy' });
      expect((await get(other, '/v1/integrations/smtp/senders/ana')).status).toBe(404);
    });

    it('goes back to the built-in sender on DELETE, with the senders', async () => {
      expect((await del(p, '/v1/integrations/smtp')).status).toBe(204);
      expect((await get(p, '/v1/integrations/smtp')).status).toBe(404);
      expect((await get(p, '/v1/integrations/smtp/senders')).body.items).toEqual([]);
      const route = await integrations.routeFor(p.id, 'ana');
      expect(route).toEqual({
        kind: 'builtin',
        from: { address: 'notifications@platform.test', name: 'Agents Inc' },
        replyTo: null,
      });
    });
  });

  describe('sender domain', () => {
    let p: Program;
    let resolver: DNSResolver;

    beforeAll(async () => {
      p = await t.createProgram({ name: 'Domain', fromName: 'Domain Rewards' });
      const lookup = new dns.Resolver({ timeout: 500, tries: 1 });
      lookup.setServers([dnsServer.address]);
      resolver = (name, rrtype) => lookup.resolve(name, rrtype) as Promise<string[][] | string[]>;
    });

    it('refuses a From address at another domain, and a domain that cannot send', async () => {
      const mismatch = await put(p, '/v1/integrations/sender-domain', {
        domain: 'mail.acme.test',
        fromAddress: 'rewards@acme.test',
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.code).toBe('FROM_DOMAIN_MISMATCH');
      const invalid = await put(p, '/v1/integrations/sender-domain', {
        domain: 'https://acme.test/',
        fromAddress: 'rewards@acme.test',
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('SENDER_DOMAIN_INVALID');
    });

    it('answers the records to publish, pending, with the DKIM key split into strings of at most 255', async () => {
      const res = await put(p, '/v1/integrations/sender-domain', {
        domain: 'Mail.Acme.Test',
        fromAddress: 'rewards@mail.acme.test',
        fromName: 'Acme Rewards',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        domain: 'mail.acme.test',
        status: 'pending',
        fromAddress: 'rewards@mail.acme.test',
        checkedAt: null,
        verifiedAt: null,
      });
      const byPurpose = Object.fromEntries(
        res.body.records.map((r: { purpose: string }) => [r.purpose, r]),
      );
      expect(Object.keys(byPurpose).sort()).toEqual(['dkim', 'dmarc', 'return-path', 'spf']);
      for (const r of res.body.records)
        expect(r).toMatchObject({
          status: 'pending',
          type: expect.stringMatching(/^(TXT|CNAME)$/),
          name: expect.any(String),
          value: expect.any(String),
        });
      const dkim = byPurpose.dkim;
      expect(dkim).toMatchObject({
        type: 'TXT',
        name: `${res.body.selector}._domainkey.mail.acme.test`,
        required: true,
      });
      expect(dkim.strings.length).toBeGreaterThan(1);
      for (const s of dkim.strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
      expect(dkim.value).toBe(dkim.strings.map((s: string) => `"${s}"`).join(' '));
      expect(dkim.strings.join('')).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
      expect(byPurpose.spf).toMatchObject({
        name: 'mail.acme.test',
        value: 'v=spf1 include:spf.localhost ~all',
        required: true,
      });
      expect(byPurpose['return-path']).toMatchObject({
        type: 'CNAME',
        name: 'bounces.mail.acme.test',
        value: 'bounces.localhost',
        required: false,
      });
      expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY/);
    });

    it('is not used before it is verified', async () => {
      const res = await post(p, '/v1/integrations/sender-domain/verify');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('pending');
      expect(res.body.checkedAt).not.toBeNull();
      expect(await integrations.routeFor(p.id)).toEqual({
        kind: 'builtin',
        from: { address: 'notifications@platform.test', name: 'Domain Rewards' },
        replyTo: null,
      });
    });

    it('verifies once the records are published, and then signs mail with its key', async () => {
      const current = await get(p, '/v1/integrations/sender-domain');
      dnsServer.publish(
        current.body.records.map(
          (r: { type: string; name: string; value: string; strings?: string[] }) => ({
            type: r.type,
            name: r.name,
            content: r.strings ? r.strings.join('') : r.value,
            strings: r.strings,
          }),
        ),
      );
      const res = await post(p, '/v1/integrations/sender-domain/verify');
      expect(res.body.status).toBe('verified');
      expect(res.body.records.every((r: { status: string }) => r.status === 'verified')).toBe(true);
      expect(res.body.verifiedAt).not.toBeNull();

      const route = await integrations.routeFor(p.id);
      expect(route).toMatchObject({
        kind: 'builtin',
        from: { address: 'rewards@mail.acme.test', name: 'Acme Rewards' },
        dkim: { domain: 'mail.acme.test', selector: current.body.selector, status: 'verified' },
      });
      if (route.kind !== 'builtin' || !route.dkim) throw new Error('expected a signing key');
      const { raw } = await composeMessage(
        { from: route.from.address, to: 'friend@example.org', subject: 'Signed', text: 'Hello\n' },
        route.dkim,
      );
      const verdict = await dkimVerify(raw, { resolver });
      expect(verdict.results.map((r) => r.status.result)).toEqual(['pass']);
    });

    it('stays verified through a DNS outage, and fails when a record is changed', async () => {
      const current = await get(p, '/v1/integrations/sender-domain');
      const dkimName = `${current.body.selector}._domainkey.mail.acme.test`;
      dnsServer.fail(dkimName, 'servfail');
      const outage = await post(p, '/v1/integrations/sender-domain/verify');
      dnsServer.clearFailure(dkimName);
      expect(outage.body.status).toBe('verified');
      expect(
        outage.body.records.find((r: { purpose: string }) => r.purpose === 'dkim'),
      ).toMatchObject({ status: 'failed' });
      expect((await integrations.routeFor(p.id)).from.address).toBe('rewards@mail.acme.test');

      dnsServer.set('mail.acme.test', { TXT: ['v=spf1 include:elsewhere.test ~all'] });
      const changed = await post(p, '/v1/integrations/sender-domain/verify');
      expect(changed.body.status).toBe('failed');
      expect(
        changed.body.records.find((r: { purpose: string }) => r.purpose === 'spf').reason,
      ).toMatch(/spf\.localhost/);
      // A domain that was in use keeps signing through its grace period; mail never switches
      // to the platform's address (see sender-domain-grace.e2e-spec.ts for after the grace).
      expect(changed.body.failingSince).not.toBeNull();
      const route = await integrations.routeFor(p.id);
      expect(route).toMatchObject({
        kind: 'builtin',
        from: { address: 'rewards@mail.acme.test', name: 'Acme Rewards' },
        dkim: { domain: 'mail.acme.test' },
      });
    });

    it('keeps the key for the same domain, and makes a new one for another', async () => {
      const before = await get(p, '/v1/integrations/sender-domain');
      const same = await put(p, '/v1/integrations/sender-domain', {
        domain: 'mail.acme.test',
        fromAddress: 'hello@mail.acme.test',
      });
      expect(same.body).toMatchObject({
        selector: before.body.selector,
        status: before.body.status,
        fromAddress: 'hello@mail.acme.test',
        fromName: null,
      });
      expect(same.body.records.find((r: { purpose: string }) => r.purpose === 'dkim').value).toBe(
        before.body.records.find((r: { purpose: string }) => r.purpose === 'dkim').value,
      );
      const moved = await put(p, '/v1/integrations/sender-domain', {
        domain: 'news.acme.test',
        fromAddress: 'hello@news.acme.test',
      });
      expect(moved.body).toMatchObject({
        domain: 'news.acme.test',
        status: 'pending',
        verifiedAt: null,
      });
      expect(
        moved.body.records.find((r: { purpose: string }) => r.purpose === 'dkim').value,
      ).not.toBe(before.body.records.find((r: { purpose: string }) => r.purpose === 'dkim').value);
    });

    it('is removed on DELETE', async () => {
      expect((await del(p, '/v1/integrations/sender-domain')).status).toBe(204);
      const read = await get(p, '/v1/integrations/sender-domain');
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('SENDER_DOMAIN_NOT_SET');
    });
  });

  it('lists the integration routes in the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/integrations/smtp',
        '/v1/integrations/smtp/test',
        '/v1/integrations/smtp/senders',
        '/v1/integrations/smtp/senders/{senderId}',
        '/v1/integrations/smtp/senders/{senderId}/test',
        '/v1/integrations/sender-domain',
        '/v1/integrations/sender-domain/verify',
      ]),
    );
  });

  it('never puts a password in any response', () => {
    expect(bodies.length).toBeGreaterThan(40);
    for (const body of bodies) for (const secret of SECRETS) expect(body).not.toContain(secret);
  });
});
