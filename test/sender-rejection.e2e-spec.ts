import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { SuppressionsService } from '../src/suppressions/suppressions.service';
import { sampleEmailData } from '../src/templates/renderer';
import { SmtpTestServer, type SmtpReply } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const FROM = 'rewards@acme.test';

// A refusal of the From address (or of the account) says nothing about the recipient: the message
// fails, the integration shows why, and the recipient's next message is still sent.
describe('Sender-side refusals during delivery (e2e)', () => {
  let t: TestApp;
  let notify: NotifyParticipant;
  let programs: ProgramsService;
  let suppressions: SuppressionsService;
  let db: DataSource;
  let server: SmtpTestServer;
  let n = 0;
  // Every envelope address the server was offered, and what it answers now.
  let offered: string[] = [];
  let mailReply: (address: string) => SmtpReply | undefined = () => undefined;
  let rcptReply: (address: string) => SmtpReply | undefined = () => undefined;

  const send = async (programId: string, to: string) =>
    (
      await notify.execute(undefined, {
        program: (await programs.findById(programId))!,
        to: { address: to, name: 'Ana Souza' },
        template: 'generic',
        locales: ['en'],
        data: sampleEmailData('generic', 'en'),
        dedupeKey: `sender-refusal-${++n}`,
      })
    ).id;
  const settled = (id: string) =>
    eventually(async () => {
      const m = await db.getRepository(Message).findOneByOrFail({ id });
      return ['sent', 'failed', 'suppressed'].includes(m.status) ? m : undefined;
    }, 20000);

  beforeAll(async () => {
    server = await SmtpTestServer.start({
      users: { mailer: 'app-password-1' },
      onMailFrom: (address) => {
        offered.push(`MAIL ${address}`);
        return mailReply(address);
      },
      onRcptTo: (address) => {
        offered.push(`RCPT ${address}`);
        return rcptReply(address);
      },
    });
    t = await startTestApp({
      env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', JOB_ATTEMPTS: '4', JOB_BACKOFF_MS: '100' },
    });
    notify = t.app.get(NotifyParticipant);
    programs = t.app.get(ProgramsService);
    suppressions = t.app.get(SuppressionsService);
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });
  beforeEach(() => {
    offered = [];
    mailReply = () => undefined;
    rcptReply = () => undefined;
    server.reset();
  });

  it.each<[string, 'MAIL' | 'RCPT', SmtpReply]>([
    [
      '550 5.1.8 at RCPT',
      'RCPT',
      { code: 550, message: `5.1.8 <${FROM}>: Sender address rejected: Domain not found` },
    ],
    [
      '550 5.1.7 at RCPT',
      'RCPT',
      { code: 550, message: `5.1.7 <${FROM}>: Sender address rejected: bad address syntax` },
    ],
    [
      '553 5.7.1 not owned at RCPT',
      'RCPT',
      { code: 553, message: `5.7.1 <${FROM}>: Sender address rejected: not owned by user mailer` },
    ],
    [
      '550 5.1.8 at MAIL FROM',
      'MAIL',
      { code: 550, message: `5.1.8 <${FROM}>: Sender address rejected: Domain not found` },
    ],
  ])(
    'fails the message on %s, marks the integration failing, and never suppresses the recipient',
    async (_what, when, reply) => {
      const p = await t.createProgram({ name: 'Sender refused' });
      await t.http
        .put('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .send({
          host: 'localhost',
          port: server.port,
          security: 'tls',
          username: 'mailer',
          password: 'app-password-1',
          fromAddress: FROM,
        })
        .expect(200);

      // The server has since stopped taking this From address.
      if (when === 'MAIL') mailReply = () => reply;
      else rcptReply = () => reply;
      offered = [];
      const first = await settled(await send(p.id, 'ana@example.com'));
      expect(first).toMatchObject({
        status: 'failed',
        errorCode: 'SMTP_SENDER_REJECTED',
        errorPermanent: true,
        attempts: 1,
      });
      expect(first.errorMessage).toContain('The server refused the From address');
      expect(await suppressions.find(p.id, 'ana@example.com')).toBeNull();

      const integration = await t.http
        .get('/v1/integrations/smtp')
        .set(bearer(p.secretKey))
        .expect(200);
      expect(integration.body).toMatchObject({
        status: 'failing',
        lastError: { code: 'SMTP_SENDER_REJECTED' },
      });

      // Fixed on the server's side: the same recipient's next message goes out.
      mailReply = () => undefined;
      rcptReply = () => undefined;
      offered = [];
      const second = await settled(await send(p.id, 'ana@example.com'));
      expect(second.status).toBe('sent');
      expect(offered).toEqual([`MAIL ${FROM}`, 'RCPT ana@example.com']);
      expect(server.received).toHaveLength(1);
    },
  );
});
