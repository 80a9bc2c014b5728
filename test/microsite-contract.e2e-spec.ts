import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { oneTimeLink, type ProgramKeys } from './support/participant-links';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const EXAMPLE = resolve(__dirname, '..', 'docs', 'microsite-example', 'server.mjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const h1 = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

/**
 * The microsite contract of the README, run: the example microsite in docs/ serves the paths
 * and query parameters the links of a program with settings.micrositeUrl carry, and its calls
 * to the public API verify an address and set a password that signs in.
 */
describe('Microsite contract (e2e): the README’s example microsite', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let microsite: ChildProcess;
  let site: string;
  let p: ProgramKeys;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        TOKEN_EMAILS_PER_ADDRESS_PER_HOUR: '20',
      },
    });
    const port = await freePort();
    site = `http://127.0.0.1:${port}`;
    p = await t.createProgram({ name: 'Club', settings: { micrositeUrl: `${site}/` } });
    microsite = spawn(process.execPath, [EXAMPLE], {
      env: {
        ...process.env,
        REFERRAL_NOTIFY_URL: t.baseUrl,
        PUBLISHABLE_KEY: p.publishableKey,
        PORT: String(port),
      },
      stdio: 'inherit',
    });
    await eventually(async () => (await fetch(`${site}/nothing`)).status === 404, 15000);
    await t.http
      .put('/v1/participants/ana')
      .set(bearer(p.secretKey))
      .send({ email: 'ana@example.com' })
      .expect(201);
  });
  afterAll(async () => {
    microsite?.kill();
    await t?.close();
    await smtp?.stop();
  });

  it('gets GET /verify?token=… and confirms the address there', async () => {
    const link = await oneTimeLink(t, smtp, p, 'verification', 'ana@example.com');
    expect(link).toMatch(new RegExp(`^${site}/verify\\?token=[A-Za-z0-9_-]{43}$`));
    const res = await fetch(link);
    expect([res.status, h1(await res.text())]).toEqual([200, 'Email address confirmed']);
    const view = await t.http.get('/v1/participants/ana').set(bearer(p.secretKey)).expect(200);
    expect(view.body.emailVerified).toBe(true);
    const again = await fetch(link);
    expect(again.status).toBe(410);
  });

  it('gets GET /reset-password?token=…, sets the password, and links the password-changed email to GET /reset-password', async () => {
    const link = await oneTimeLink(t, smtp, p, 'password-reset', 'ana@example.com');
    expect(link).toMatch(new RegExp(`^${site}/reset-password\\?token=`));
    const form = await fetch(link);
    expect(h1(await form.text())).toBe('Choose a new password');
    const token = new URL(link).searchParams.get('token')!;
    const done = await fetch(`${site}/reset-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, password: 'a-microsite-password' }).toString(),
    });
    expect([done.status, h1(await done.text())]).toEqual([200, 'Your password was changed']);
    await t.http
      .post('/v1/public/sessions')
      .set(bearer(p.publishableKey))
      .send({ email: 'ana@example.com', password: 'a-microsite-password' })
      .expect(200);

    const changed = await eventually(async () =>
      smtp.received.find(
        (m) => m.envelope.rcptTo.includes('ana@example.com') && /changed/i.test(m.subject ?? ''),
      ),
    );
    const back = new RegExp(`${site}/reset-password(?=[\\s"<])`).exec(changed.text ?? '');
    expect(back).not.toBeNull();
    const request = await fetch(back![0]);
    expect([request.status, h1(await request.text())]).toEqual([200, 'Reset your password']);
  });
});
