import { OAuthTestServer } from './support/oauth-test-server';
import { SmtpTestServer, type SmtpReply } from './support/smtp-test-server';
import { bearer, startTestApp, type TestApp } from './support/test-app';

/**
 * The refusals Microsoft 365 and Gmail answer a login with, each from a real SMTP server answering
 * exactly that, and what the service tells the person to do about each.
 */
describe('Provider login refusals say what to do (e2e)', () => {
  let t: TestApp;
  let oauth: OAuthTestServer;
  const servers: SmtpTestServer[] = [];

  const refusing = async (reply: SmtpReply, authMethods?: Array<'PLAIN' | 'LOGIN' | 'XOAUTH2'>) => {
    const server = await SmtpTestServer.start({ authMethods, onAuth: () => reply });
    servers.push(server);
    return server;
  };
  const connectWithPassword = async (server: SmtpTestServer, username: string) => {
    const p = await t.createProgram({ name: 'Refused' });
    const res = await t.http.put('/v1/integrations/smtp').set(bearer(p.secretKey)).send({
      host: 'localhost',
      port: server.port,
      security: 'tls',
      username,
      password: 'the-account-password',
      fromAddress: username,
    });
    // Nothing was saved.
    expect((await t.http.get('/v1/integrations/smtp').set(bearer(p.secretKey))).status).toBe(404);
    return res;
  };

  beforeAll(async () => {
    oauth = await OAuthTestServer.start();
    t = await startTestApp({
      env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', ...oauth.env('microsoft') },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([...servers.map((s) => s.stop()), oauth?.stop()]);
  });

  it('550 5.7.30: basic authentication is off; connect with Microsoft', async () => {
    const server = await refusing({
      code: 550,
      message: '5.7.30 Basic authentication is not supported for Client Submission',
    });
    const res = await connectWithPassword(server, 'owner@contoso.test');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('SMTP_BASIC_AUTH_DISABLED');
    expect(res.body.message).toContain('550 5.7.30');
    expect(res.body.message).toMatch(/Connect with Microsoft instead/);
  });

  it('535 5.7.139: SMTP AUTH is off for the mailbox; what the admin must turn on', async () => {
    const server = await refusing({
      code: 535,
      message:
        '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    });
    const res = await connectWithPassword(server, 'owner@contoso.test');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('SMTP_AUTH_DISABLED_FOR_MAILBOX');
    expect(res.body.message).toContain('535 5.7.139');
    expect(res.body.message).toMatch(/administrator must turn on Authenticated SMTP/);
    expect(res.body.message).toMatch(/Set-CASMailbox -SmtpClientAuthenticationDisabled \$false/);
    expect(res.body.message).toMatch(/connect with Microsoft/);
  });

  it('534-5.7.9 from Gmail: an App Password, or connect with Google', async () => {
    const server = await refusing({
      code: 534,
      message: [
        '5.7.9 Application-specific password required. Learn more at',
        '5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2-20020a05 - gsmtp',
      ],
    });
    const res = await connectWithPassword(server, 'someone@gmail.com');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('SMTP_APP_PASSWORD_REQUIRED');
    expect(res.body.message).toContain('534 5.7.9');
    expect(res.body.message).toMatch(/Connect with Google instead/);
    expect(res.body.message).toMatch(/App Password/);
    expect(res.body.message).not.toMatch(/less secure/i);
  });

  it('decodes the base64 JSON of a refused XOAUTH2 login into the message, and saves nothing', async () => {
    const server = await refusing(
      {
        code: 334,
        message: '',
        data: { status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/' },
      },
      ['XOAUTH2'],
    );
    const p = await t.createProgram({ name: 'XOAUTH2 refused' });
    const started = await t.http
      .post('/v1/integrations/oauth/authorize')
      .set(bearer(p.secretKey))
      .send({
        provider: 'microsoft',
        for: 'integration',
        email: 'owner@contoso.test',
        smtp: { host: 'localhost', port: server.port, security: 'tls' },
      })
      .expect(200);
    const back = await oauth.signIn(started.body.authorizeUrl);
    const res = await t.http.get(`${back.pathname}${back.search}`);
    expect(res.status).toBe(422);
    expect(res.text).toContain('SMTP_XOAUTH2_REFUSED');
    expect(res.text).toContain('status 400, scope https://mail.google.com/, schemes Bearer');
    expect(res.text).toContain('also with a newly issued access token');
    // Refused twice: once, then again after the one retry.
    expect(server.authAttempts.map((a) => [a.method, a.accepted])).toEqual([
      ['XOAUTH2', false],
      ['XOAUTH2', false],
    ]);
    expect((await t.http.get('/v1/integrations/smtp').set(bearer(p.secretKey))).status).toBe(404);
  });
});
