import {
  generateSelfSignedCertificate,
  SmtpTestServer,
  type SmtpReply,
} from '../../../test/support/smtp-test-server';
import type { HostResolver } from './host-guard';
import { SmtpError } from './smtp-errors';
import type { SmtpSettings } from './smtp-settings';
import { verifySmtp, type VerifySmtpOptions } from './smtp-verifier';

const USER = 'owner@example.com';
const PASSWORD = 'right-Password-123';
const users = { [USER]: PASSWORD };

// Names the test certificate covers (localhost, mail.test) and one it does not, all on 127.0.0.1.
const resolver: HostResolver = async (host) => {
  if (['localhost', 'mail.test', 'mail.example.net'].includes(host))
    return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

const fast: VerifySmtpOptions = {
  allowPrivateHosts: true,
  resolver,
  timeouts: { connectionTimeoutMs: 3000, greetingTimeoutMs: 700, socketTimeoutMs: 3000 },
};

const GMAIL_APP_PASSWORD: SmtpReply = {
  code: 534,
  message:
    '5.7.9 Application-specific password required. For more information, go to https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp',
};

function authReply(username: string): SmtpReply | undefined {
  if (username === 'gmail@example.com') return GMAIL_APP_PASSWORD;
  if (username === 'busy@example.com')
    return { code: 454, message: '4.7.0 Temporary authentication failure' };
  if (username === USER) return undefined;
  return { code: 535, message: '5.7.8 Authentication credentials invalid' };
}

async function verifyError(
  settings: SmtpSettings,
  options: VerifySmtpOptions = fast,
): Promise<SmtpError> {
  try {
    await verifySmtp(settings, options);
  } catch (err) {
    if (err instanceof SmtpError) return err;
    throw err;
  }
  throw new Error('expected verifySmtp to fail');
}

describe('verifySmtp', () => {
  let starttls: SmtpTestServer;
  let implicit: SmtpTestServer;
  let hidden: SmtpTestServer;
  let plaintext: SmtpTestServer;
  let loginOnly: SmtpTestServer;
  let replies: SmtpTestServer;
  let slow: SmtpTestServer;
  let selfSignedImplicit: SmtpTestServer;
  let selfSignedStarttls: SmtpTestServer;

  beforeAll(async () => {
    const selfSigned = generateSelfSignedCertificate();
    [
      starttls,
      implicit,
      hidden,
      plaintext,
      loginOnly,
      replies,
      slow,
      selfSignedImplicit,
      selfSignedStarttls,
    ] = await Promise.all([
      SmtpTestServer.start({ users }),
      SmtpTestServer.start({ secure: true, users }),
      SmtpTestServer.start({ hideSTARTTLS: true, users }),
      SmtpTestServer.start({ disableSTARTTLS: true, users }),
      SmtpTestServer.start({ authMethods: ['LOGIN'], users }),
      SmtpTestServer.start({ onAuth: ({ username }) => authReply(username) }),
      SmtpTestServer.start({ disableSTARTTLS: true, greetingDelayMs: 3000 }),
      SmtpTestServer.start({ secure: true, key: selfSigned.key, cert: selfSigned.cert }),
      SmtpTestServer.start({ key: selfSigned.key, cert: selfSigned.cert }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(
      [
        starttls,
        implicit,
        hidden,
        plaintext,
        loginOnly,
        replies,
        slow,
        selfSignedImplicit,
        selfSignedStarttls,
      ].map((s) => s?.stop()),
    );
  });

  describe('when the settings match the server', () => {
    it('logs in over STARTTLS with AUTH PLAIN', async () => {
      const result = await verifySmtp(
        {
          host: 'localhost',
          port: starttls.port,
          security: 'tls',
          username: USER,
          password: PASSWORD,
        },
        fast,
      );
      expect(result).toEqual({
        host: 'localhost',
        address: '127.0.0.1',
        port: starttls.port,
        security: 'tls',
        authenticated: true,
      });
      expect(starttls.authAttempts).toContainEqual({
        method: 'PLAIN',
        username: USER,
        accepted: true,
      });
    });

    it('logs in over implicit TLS', async () => {
      const result = await verifySmtp(
        {
          host: 'localhost',
          port: implicit.port,
          security: 'ssl',
          username: USER,
          password: PASSWORD,
        },
        fast,
      );
      expect(result.authenticated).toBe(true);
    });

    it('logs in with AUTH LOGIN when that is all the server offers', async () => {
      await verifySmtp(
        {
          host: 'localhost',
          port: loginOnly.port,
          security: 'tls',
          username: USER,
          password: PASSWORD,
        },
        fast,
      );
      expect(loginOnly.authAttempts).toContainEqual({
        method: 'LOGIN',
        username: USER,
        accepted: true,
      });
    });

    it('connects without a login when none is given', async () => {
      const result = await verifySmtp(
        { host: 'localhost', port: implicit.port, security: 'ssl' },
        fast,
      );
      expect(result.authenticated).toBe(false);
    });

    it('checks the certificate against the host name while connecting to the checked address', async () => {
      const result = await verifySmtp(
        { host: 'mail.test', port: implicit.port, security: 'ssl' },
        fast,
      );
      expect(result).toMatchObject({ host: 'mail.test', address: '127.0.0.1' });
    });

    it('accepts an IP address host when the certificate names that IP', async () => {
      await expect(
        verifySmtp({ host: '127.0.0.1', port: implicit.port, security: 'ssl' }, fast),
      ).resolves.toMatchObject({ address: '127.0.0.1' });
    });

    it('logs in over plaintext only with allowInsecure', async () => {
      const settings: SmtpSettings = {
        host: 'localhost',
        port: plaintext.port,
        security: 'none',
        username: USER,
        password: PASSWORD,
      };
      await expect(verifySmtp({ ...settings, allowInsecure: true }, fast)).resolves.toMatchObject({
        authenticated: true,
      });
    });

    it('connects over plaintext without a login', async () => {
      await expect(
        verifySmtp({ host: 'localhost', port: plaintext.port, security: 'none' }, fast),
      ).resolves.toMatchObject({ authenticated: false });
    });
  });

  describe('when the login is refused', () => {
    it('refuses a password in clear before connecting', async () => {
      const before = plaintext.authAttempts.length;
      const err = await verifyError({
        host: 'localhost',
        port: plaintext.port,
        security: 'none',
        username: USER,
        password: PASSWORD,
      });
      expect(err.code).toBe('SMTP_PLAINTEXT_AUTH_REFUSED');
      expect(plaintext.authAttempts).toHaveLength(before);
    });

    it('reports 535 as SMTP_AUTH_FAILED without the password', async () => {
      const err = await verifyError({
        host: 'localhost',
        port: starttls.port,
        security: 'tls',
        username: USER,
        password: 'wrong-Password-999',
      });
      expect(err).toMatchObject({
        code: 'SMTP_AUTH_FAILED',
        responseCode: 535,
        enhancedStatus: '5.7.8',
        permanent: true,
        integrationFailing: true,
      });
      expect(err.message).toContain(
        'SMTP login failed: the server rejected the username or password (535 5.7.8)',
      );
      expect(JSON.stringify(err) + err.message).not.toContain('wrong-Password-999');
    });

    it('gives the App Password hint for a Gmail-like 534 5.7.9', async () => {
      const err = await verifyError({
        host: 'localhost',
        port: replies.port,
        security: 'tls',
        username: 'gmail@example.com',
        password: 'account-password',
      });
      expect(err).toMatchObject({
        code: 'SMTP_APP_PASSWORD_REQUIRED',
        responseCode: 534,
        enhancedStatus: '5.7.9',
      });
      expect(err.message).toContain('Google requires an App Password');
      expect(err.message).toContain('App Passwords need 2-Step Verification to be on');
      expect(err.message).not.toMatch(/less secure/i);
    });

    it('reports 454 as a temporary failure', async () => {
      const err = await verifyError({
        host: 'localhost',
        port: replies.port,
        security: 'tls',
        username: 'busy@example.com',
        password: 'whatever-1',
      });
      expect(err).toMatchObject({
        code: 'SMTP_AUTH_TEMPORARY_FAILURE',
        responseCode: 454,
        permanent: false,
      });
      expect(err.message).toContain('try again in a few minutes');
    });

    it('tries a login even when the server does not advertise AUTH', async () => {
      const noAuth = await SmtpTestServer.start({ authMethods: [] });
      try {
        const err = await verifyError({
          host: 'localhost',
          port: noAuth.port,
          security: 'tls',
          username: USER,
          password: PASSWORD,
        });
        expect(err.code).toBe('SMTP_AUTH_UNSUPPORTED');
      } finally {
        await noAuth.stop();
      }
    });
  });

  describe('when the security setting does not match the port', () => {
    it('fails closed when STARTTLS is hidden, before any login', async () => {
      const before = hidden.authAttempts.length;
      const err = await verifyError({
        host: 'localhost',
        port: hidden.port,
        security: 'tls',
        username: USER,
        password: PASSWORD,
      });
      expect(err.code).toBe('SMTP_STARTTLS_UNAVAILABLE');
      expect(err.message).toContain('does not offer STARTTLS');
      expect(hidden.authAttempts).toHaveLength(before);
    });

    it('fails closed on a plaintext-only server', async () => {
      const err = await verifyError({ host: 'localhost', port: plaintext.port, security: 'tls' });
      expect(err.code).toBe('SMTP_STARTTLS_UNAVAILABLE');
    });

    it('names STARTTLS for SSL on a STARTTLS port', async () => {
      const err = await verifyError({ host: 'localhost', port: starttls.port, security: 'ssl' });
      expect(err.code).toBe('SMTP_TLS_MISMATCH');
      expect(err.message).toBe(
        `Port ${starttls.port} speaks STARTTLS (or plaintext), not SSL: choose TLS (STARTTLS) for port ${starttls.port}, or use port 465 with SSL.`,
      );
    });

    it.each(['tls', 'none'] as const)(
      'names SSL for %s on an implicit TLS port',
      async (security) => {
        const err = await verifyError({ host: 'localhost', port: implicit.port, security });
        expect(err.code).toBe('SMTP_TLS_MISMATCH');
        expect(err.message).toContain(`Port ${implicit.port} expects SSL (implicit TLS)`);
        expect(err.message).toContain(`Choose SSL for port ${implicit.port}`);
      },
    );

    it.each(['none', 'tls'] as const)(
      'names SSL for %s on an implicit TLS port with the verify timeouts',
      async (security) => {
        // VERIFY_TIMEOUTS, as connect uses them: 10 s for the greeting and for socket silence.
        const err = await verifyError(
          { host: 'localhost', port: implicit.port, security },
          { allowPrivateHosts: true, resolver },
        );
        expect(err).toMatchObject({ code: 'SMTP_TLS_MISMATCH', integrationFailing: true });
        expect(err.message).toContain(`Choose SSL for port ${implicit.port} (security "ssl")`);
      },
    );

    it.each(['none', 'tls'] as const)(
      'finds an implicit TLS port for %s without waiting for the greeting timeout',
      async (security) => {
        // A greeting timeout far longer than the test's own: only the TLS probe can answer.
        const err = await verifyError(
          { host: 'localhost', port: implicit.port, security },
          { ...fast, timeouts: { ...fast.timeouts, greetingTimeoutMs: 3_600_000 } },
        );
        expect(err.code).toBe('SMTP_TLS_MISMATCH');
      },
    );

    it('reports a server that never greets as a timeout, not a mismatch', async () => {
      const err = await verifyError({ host: 'localhost', port: slow.port, security: 'none' });
      expect(err).toMatchObject({ code: 'SMTP_TIMEOUT', permanent: false });
      expect(err.message).toContain('sent no greeting within 0.7 s');
    });

    it('also times out a slow greeting when TLS is required', async () => {
      const err = await verifyError({ host: 'localhost', port: slow.port, security: 'tls' });
      expect(err.code).toBe('SMTP_TIMEOUT');
    });
  });

  describe('when the settings log in but cannot send', () => {
    const FROM = 'rewards@acme.test';
    // The envelope addresses each server was offered, and what it answers.
    let offered: string[] = [];
    let mailReply: (address: string) => SmtpReply | undefined = () => undefined;
    let rcptReply: (address: string) => SmtpReply | undefined = () => undefined;
    let envelope: SmtpTestServer;

    beforeAll(async () => {
      envelope = await SmtpTestServer.start({
        users,
        onMailFrom: (address) => {
          offered.push(`MAIL ${address}`);
          return mailReply(address);
        },
        onRcptTo: (address) => {
          offered.push(`RCPT ${address}`);
          return rcptReply(address);
        },
      });
    });
    afterAll(() => envelope?.stop());
    beforeEach(() => {
      offered = [];
      mailReply = () => undefined;
      rcptReply = () => undefined;
      envelope.reset();
    });

    const tls: SmtpSettings = {
      host: 'localhost',
      port: 0,
      security: 'tls',
      username: USER,
      password: PASSWORD,
    };
    const settings = (extra: Partial<SmtpSettings> = {}): SmtpSettings => ({
      ...tls,
      port: envelope.port,
      ...extra,
    });
    const withFrom: VerifySmtpOptions = { ...fast, mailFrom: FROM };

    it('tries MAIL FROM and RCPT TO the reserved postmaster@example.com, and sends nothing', async () => {
      await expect(verifySmtp(settings(), withFrom)).resolves.toMatchObject({
        authenticated: true,
      });
      expect(offered).toEqual([`MAIL ${FROM}`, 'RCPT postmaster@example.com']);
      expect(envelope.received).toHaveLength(0);
    });

    it('checks only the login without a From address', async () => {
      mailReply = () => ({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' });
      await expect(verifySmtp(settings(), fast)).resolves.toBeDefined();
      expect(offered).toEqual([]);
    });

    it('answers SMTP_STARTTLS_REQUIRED when the server wants STARTTLS before mail', async () => {
      mailReply = () => ({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' });
      const err = await verifyError(
        { host: 'localhost', port: envelope.port, security: 'none' },
        withFrom,
      );
      expect(err).toMatchObject({
        code: 'SMTP_STARTTLS_REQUIRED',
        permanent: true,
        integrationFailing: true,
      });
      expect(err.message).toContain('Choose "tls" (STARTTLS)');
    });

    it.each([
      ['without a login', { username: undefined, password: undefined }],
      ['with a login', {}],
    ])('answers SMTP_RELAY_DENIED when the server will not relay %s', async (_how, extra) => {
      rcptReply = (a) => ({ code: 554, message: `5.7.1 <${a}>: Relay access denied` });
      const err = await verifyError(settings(extra), withFrom);
      expect(err).toMatchObject({ code: 'SMTP_RELAY_DENIED', permanent: true });
      expect(err.message).toContain('submission port 587');
      expect(envelope.received).toHaveLength(0);
    });

    it.each([
      [
        '553 5.7.1',
        { code: 553, message: '5.7.1 <x>: Sender address rejected: not owned by user' },
      ],
      ['550 5.1.8', { code: 550, message: '5.1.8 <x>: Sender address rejected: Domain not found' }],
    ])('answers SMTP_SENDER_REJECTED for a refused MAIL FROM (%s)', async (_status, reply) => {
      mailReply = () => reply;
      const err = await verifyError(settings(), withFrom);
      expect(err).toMatchObject({
        code: 'SMTP_SENDER_REJECTED',
        permanent: true,
        integrationFailing: true,
      });
      expect(offered).toEqual([`MAIL ${FROM}`]);
    });

    it('answers SMTP_SENDER_REJECTED for a sender refused at RCPT time', async () => {
      rcptReply = () => ({
        code: 550,
        message: `5.1.8 <${FROM}>: Sender address rejected: Domain not found`,
      });
      const err = await verifyError(settings(), withFrom);
      expect(err.code).toBe('SMTP_SENDER_REJECTED');
    });

    it.each([
      ['a null MX', { code: 556, message: '5.1.10 <x>: Recipient address rejected: nullMX' }],
      ['no such mailbox', { code: 550, message: '5.1.1 <x>: Recipient address rejected' }],
    ])('passes when the server refuses the reserved recipient for %s', async (_why, reply) => {
      rcptReply = () => reply;
      await expect(verifySmtp(settings(), withFrom)).resolves.toBeDefined();
    });

    it('reports another refusal of the recipient with what it means for these settings', async () => {
      rcptReply = () => ({ code: 554, message: '5.7.1 Client host rejected: Access denied' });
      const err = await verifyError(settings(), withFrom);
      expect(err).toMatchObject({ code: 'SMTP_RECIPIENT_REJECTED', permanent: true });
      expect(err.message).toContain(
        'refused the test recipient postmaster@example.com (554 5.7.1)',
      );
    });

    it('reports a temporary refusal as one', async () => {
      rcptReply = () => ({ code: 451, message: '4.3.0 Try again later' });
      const err = await verifyError(settings(), withFrom);
      expect(err).toMatchObject({ code: 'SMTP_TEMPORARY_FAILURE', permanent: false });
      expect(err.message).toContain('try again in a few minutes');
    });

    it('refuses a From address that would break the command, before connecting', async () => {
      const err = await verifyError(settings(), {
        ...fast,
        mailFrom: 'a@acme.test>\r\nRCPT TO:<b@example.com',
      });
      expect(err.code).toBe('SMTP_SETTINGS_INVALID');
      expect(offered).toEqual([]);
    });

    it('still answers SMTP_AUTH_FAILED for a wrong password, before any envelope', async () => {
      const err = await verifyError(settings({ password: 'wrong-Password-999' }), withFrom);
      expect(err.code).toBe('SMTP_AUTH_FAILED');
      expect(offered).toEqual([]);
    });
  });

  describe('when the certificate is not trusted', () => {
    it('refuses a self-signed certificate over implicit TLS', async () => {
      const err = await verifyError({
        host: 'localhost',
        port: selfSignedImplicit.port,
        security: 'ssl',
      });
      expect(err.code).toBe('SMTP_CERTIFICATE_INVALID');
      expect(err.message).toContain('self-signed');
    });

    it('refuses a self-signed certificate after STARTTLS, before any login', async () => {
      const err = await verifyError({
        host: 'localhost',
        port: selfSignedStarttls.port,
        security: 'tls',
        username: USER,
        password: PASSWORD,
      });
      expect(err.code).toBe('SMTP_CERTIFICATE_INVALID');
      expect(selfSignedStarttls.authAttempts).toHaveLength(0);
    });

    it.each([
      ['over implicit TLS', 'ssl'],
      ['after STARTTLS', 'tls'],
    ] as const)(
      'refuses a certificate issued for another name %s, before any login',
      async (_how, security) => {
        const server = security === 'ssl' ? implicit : starttls;
        const logins = server.authAttempts.length;
        const err = await verifyError({
          host: 'mail.example.net',
          port: server.port,
          security,
          username: USER,
          password: PASSWORD,
        });
        expect(err.code).toBe('SMTP_CERTIFICATE_INVALID');
        expect(err.message).toContain('not valid for mail.example.net');
        expect(server.authAttempts).toHaveLength(logins);
      },
    );
  });

  describe('when the host cannot be reached', () => {
    it('refuses a loopback host unless private hosts are allowed', async () => {
      const err = await verifyError(
        { host: 'localhost', port: 587, security: 'tls' },
        { ...fast, allowPrivateHosts: false },
      );
      expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
    });

    it('reports a name that does not resolve', async () => {
      const err = await verifyError({ host: 'nowhere.example', port: 587, security: 'tls' });
      expect(err.code).toBe('SMTP_DNS_FAILED');
    });

    it.each(['tls', 'ssl', 'none'] as const)(
      'reports a refused connection (%s)',
      async (security) => {
        const closed = await SmtpTestServer.start();
        const port = closed.port;
        await closed.stop();
        const err = await verifyError({ host: 'localhost', port, security });
        expect(err).toMatchObject({ code: 'SMTP_CONNECTION_FAILED', permanent: false });
        expect(err.message).toContain('connection refused');
      },
    );
  });
});
