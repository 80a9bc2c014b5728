import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { startMailStack, type MailStack } from './support/postfix-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const OWNER = 'owner@acme.test';
const OWNER_PASSWORD = 'owner-Mailbox-5r2t';
const GHOST = 'ghost@acme.test';

// The whole round trip with real servers: the program sends through a private Postfix, which
// accepts mail for an unknown user at SMTP time and returns its own DSN to the program's
// address; Dovecot delivers that DSN to the program's mailbox, which a worker reads over IMAP.
// Nothing in the path is simulated.
describe('Hearing back through a real Postfix and Dovecot (e2e)', () => {
  let stack: MailStack;
  let t: TestApp;
  let db: DataSource;
  let notify: NotifyParticipant;
  let programs: ProgramsService;
  let p: { id: string; secretKey: string };
  let n = 0;

  const send = async (to: string) =>
    notify.execute(undefined, {
      program: (await programs.findById(p.id))!,
      to: { address: to, name: 'Ghost Writer' },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: `hearing-back-${++n}`,
    });
  const message = (id: string) => db.getRepository(Message).findOneByOrFail({ id });
  const settled = (id: string, states: string[]) =>
    eventually(async () => {
      const m = await message(id);
      return states.includes(m.status) ? m : undefined;
    }, 60000);
  const api = {
    get: (path: string) => t.http.get(path).set(bearer(p.secretKey)),
    put: (path: string, body: object) => t.http.put(path).set(bearer(p.secretKey)).send(body),
    del: (path: string) => t.http.delete(path).set(bearer(p.secretKey)),
  };

  beforeAll(async () => {
    stack = await startMailStack({ users: { [OWNER]: { password: OWNER_PASSWORD } } });
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        INBOUND_MAILBOX_POLL_MS: '250',
        JOB_BACKOFF_MS: '100',
      },
    });
    db = t.app.get(DataSource);
    notify = t.app.get(NotifyParticipant);
    programs = t.app.get(ProgramsService);
    // Both private servers speak plaintext on 127.0.0.1: the program allows it, as a test lab would.
    p = await t.createProgram({ name: 'Acme', settings: { allowInsecureSmtp: true } });
    await api
      .put('/v1/integrations/smtp', {
        host: '127.0.0.1',
        port: stack.postfix.port,
        security: 'none',
        fromAddress: OWNER,
      })
      .expect(200);
    await api
      .put('/v1/integrations/inbound-mailbox', {
        host: '127.0.0.1',
        port: stack.dovecot.imapPort,
        security: 'none',
        username: OWNER,
        password: OWNER_PASSWORD,
        read: 'bounces',
      })
      .expect(200);
  }, 90000);

  afterAll(async () => {
    await t?.close();
    await stack?.stop();
  });

  it('marks a message bounced from the DSN in the mailbox, suppresses the address, holds back the next, and sends the next and the held one again once lifted', async () => {
    const first = await send(GHOST);
    // Postfix accepts at SMTP time: the log says sent, as it did before the service could hear.
    expect((await settled(first.id, ['sent', 'failed'])).status).toBe('sent');

    // Postfix's DSN reaches the owner's INBOX and the worker reads it from there.
    const bounced = await settled(first.id, ['bounced']).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${stack.logs()}`);
    });
    expect(bounced.status).toBe('bounced');
    const detail = await api.get(`/v1/messages/${first.id}`).expect(200);
    expect(detail.body.status).toBe('bounced');
    // Postfix's own words: the status of its DSN and the diagnostic Dovecot gave over LMTP.
    expect(detail.body.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'bounced',
          status: '5.1.1',
          diagnostic: expect.stringMatching(/5\.1\.1/),
        }),
      ]),
    );

    const listed = await api.get(`/v1/suppressions?email=${GHOST}`).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ email: GHOST, reason: 'hard_bounce', messageId: first.id }),
    ]);

    // The next message to that address is held back: no SMTP traffic, so no second DSN either.
    const held = await send(GHOST);
    expect(held.status).toBe('suppressed');
    expect((await message(held.id)).status).toBe('suppressed');

    // Lifted, the address is sent to again.
    await api.del(`/v1/suppressions/${encodeURIComponent(GHOST)}`).expect(204);
    const again = await send(GHOST);
    expect((await settled(again.id, ['sent', 'failed', 'suppressed'])).status).toBe('sent');
    await t.http.post(`/v1/messages/${held.id}/retry`).set(bearer(p.secretKey)).expect(202);
    expect((await settled(held.id, ['sent', 'failed'])).status).toBe('sent');
  }, 120000);
});
