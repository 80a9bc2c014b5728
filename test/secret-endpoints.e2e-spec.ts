import { createServer, type Server } from 'node:net';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { SmtpTestServer, type AuthAttempt } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const OWNER = { user: 'owner@acme.test', pass: 'owner-app-password-1' };
const AGENT = { user: 'agent1@acme.test', pass: 'agent1-app-password-1' };
const USERS = { [OWNER.user]: OWNER.pass, [AGENT.user]: AGENT.pass };

/** A port that records every connection and sends nothing: an IMAP server an attacker set up. */
async function listener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.end('* OK ready\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, connections: () => count };
}

/**
 * A stored password is only ever sent to the server it was entered for: the secret key alone
 * cannot point it at another host, port or security, for SMTP or IMAP.
 */
describe('Stored secrets and their endpoints (e2e)', () => {
  let t: TestApp;
  let home: SmtpTestServer;
  let other: SmtpTestServer;
  const attempts: Record<'home' | 'other', AuthAttempt[]> = { home: [], other: [] };
  let p: { id: string; secretKey: string };

  const put = (path: string, body: object) => t.http.put(path).set(bearer(p.secretKey)).send(body);
  const smtp = (server: SmtpTestServer, extra: object = {}) => ({
    host: '127.0.0.1',
    port: server.port,
    security: 'tls',
    username: OWNER.user,
    fromAddress: 'rewards@acme.test',
    ...extra,
  });
  const passwordsSeenBy = (name: 'home' | 'other') => attempts[name].map((a) => a.password);

  beforeAll(async () => {
    [home, other] = await Promise.all([
      SmtpTestServer.start({ users: USERS, onAuth: (a) => void attempts.home.push(a) }),
      SmtpTestServer.start({ users: USERS, onAuth: (a) => void attempts.other.push(a) }),
    ]);
    t = await startTestApp({ env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true' } });
    p = await t.createProgram({ name: 'Endpoints' });
    await put('/v1/integrations/smtp', smtp(home, { password: OWNER.pass })).expect(200);
    await put('/v1/integrations/smtp/senders/agent1', {
      email: AGENT.user,
      password: AGENT.pass,
      saveToSent: 'off',
    }).expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([home?.stop(), other?.stop()]);
  });

  it('does not reuse the integration password for the same host on another port, or with other security', async () => {
    const moved = await put('/v1/integrations/smtp', smtp(other));
    expect(moved.status).toBe(400);
    expect(moved.body.code).toBe('SMTP_PASSWORD_REQUIRED');
    const insecure = await put('/v1/integrations/smtp', smtp(home, { security: 'none' }));
    expect(insecure.status).toBe(400);
    expect(insecure.body.code).toBe('SMTP_PASSWORD_REQUIRED');
    expect(passwordsSeenBy('other')).not.toContain(OWNER.pass);
    // The same server, unchanged: the stored password is kept.
    await put('/v1/integrations/smtp', smtp(home)).expect(200);
  });

  it('does not send a sender password to a new IMAP server', async () => {
    const imap = await listener();
    try {
      const res = await put('/v1/integrations/smtp/senders/agent1', {
        email: AGENT.user,
        saveToSent: 'on',
        imap: { host: '127.0.0.1', port: imap.port, security: 'none' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('SENDER_PASSWORD_REQUIRED');
      expect(res.body.message).toContain('the IMAP server changed');
      expect(imap.connections()).toBe(0);
    } finally {
      imap.server.close();
    }
  });

  it('stops using sender passwords when the integration moves, until they are entered again', async () => {
    await put('/v1/integrations/smtp', smtp(other, { password: OWNER.pass })).expect(200);
    const sender = await t.http
      .get('/v1/integrations/smtp/senders/agent1')
      .set(bearer(p.secretKey))
      .expect(200);
    expect(sender.body.status).toBe('needs_password');

    const test = await t.http
      .post('/v1/integrations/smtp/senders/agent1/test')
      .set(bearer(p.secretKey))
      .send({ to: 'boss@acme.test' });
    expect(test.status).toBe(409);
    expect(test.body.code).toBe('SENDER_PASSWORD_REQUIRED');

    const program = (await t.app.get(ProgramsService).findById(p.id))!;
    const written = await t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: 'friend@example.org' },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: 'as-agent1',
      senderId: 'agent1',
    });
    const failed = await eventually(async () => {
      const m = await t.app
        .get(DataSource)
        .getRepository(Message)
        .findOneByOrFail({ id: written.id });
      return m.status === 'failed' ? m : undefined;
    });
    expect(failed.errorCode).toBe('SENDER_PASSWORD_REQUIRED');
    // Not sent from another address either: the owner's login never carried it.
    expect(other.received).toHaveLength(0);
    expect(passwordsSeenBy('other')).not.toContain(AGENT.pass);

    // The password entered again, for the new server: the sender works there.
    await put('/v1/integrations/smtp/senders/agent1', {
      email: AGENT.user,
      password: AGENT.pass,
      saveToSent: 'off',
    }).expect(200);
    await t.http
      .post('/v1/integrations/smtp/senders/agent1/test')
      .set(bearer(p.secretKey))
      .send({ to: 'boss@acme.test' })
      .expect(200);
    expect(passwordsSeenBy('other')).toContain(AGENT.pass);
  });
});
