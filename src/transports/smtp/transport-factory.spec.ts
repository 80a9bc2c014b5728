import type { AllowedHost } from './host-guard';
import { SmtpError } from './smtp-errors';
import type { SmtpSettings } from './smtp-settings';
import { buildTransportOptions, validateSmtpSettings } from './transport-factory';

const target: AllowedHost = {
  host: 'smtp.example.com',
  address: '93.184.216.34',
  family: 4,
  servername: 'smtp.example.com',
};
const login = { username: 'owner@example.com', password: 'app-password-1' };

function settingsError(settings: SmtpSettings): SmtpError {
  try {
    validateSmtpSettings(settings);
  } catch (err) {
    if (err instanceof SmtpError) return err;
    throw err;
  }
  throw new Error('expected the settings to be refused');
}

describe(buildTransportOptions.name, () => {
  it('uses implicit TLS for ssl', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 465, security: 'ssl', ...login },
      target,
    );
    expect(options).toMatchObject({ secure: true, requireTLS: false, ignoreTLS: false, port: 465 });
  });

  it('requires STARTTLS for tls and never falls back to plaintext', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 587, security: 'tls', ...login },
      target,
    );
    expect(options).toMatchObject({
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
      opportunisticTLS: false,
    });
  });

  it('never upgrades with none', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 25, security: 'none' },
      target,
    );
    expect(options).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: true });
    expect(options.auth).toBeUndefined();
  });

  it('connects to the checked address and keeps the name for SNI and the certificate', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 587, security: 'tls' },
      target,
    );
    expect(options.host).toBe('93.184.216.34');
    expect(options.tls).toEqual({
      servername: 'smtp.example.com',
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
  });

  it('sends no SNI name for an IP literal', () => {
    const options = buildTransportOptions(
      { host: '93.184.216.34', port: 465, security: 'ssl' },
      { host: '93.184.216.34', address: '93.184.216.34', family: 4 },
    );
    expect(options.tls).toEqual({ minVersion: 'TLSv1.2', rejectUnauthorized: true });
  });

  it('disables file and URL access and logging on every transport', () => {
    for (const pool of [false, true]) {
      const options = buildTransportOptions(
        { host: 'smtp.example.com', port: 587, security: 'tls', ...login },
        target,
        { pool },
      );
      expect(options).toMatchObject({
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
        debug: false,
      });
    }
  });

  it('logs in whenever credentials are given', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 587, security: 'tls', ...login },
      target,
    );
    expect(options.auth).toEqual({ user: login.username, pass: login.password });
    expect(options.forceAuth).toBe(true);
  });

  it('applies timeouts over the delivery defaults', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 587, security: 'tls' },
      target,
      {
        timeouts: { greetingTimeoutMs: 1234 },
      },
    );
    expect(options).toMatchObject({
      connectionTimeout: 10_000,
      greetingTimeout: 1234,
      socketTimeout: 60_000,
      dnsTimeout: 10_000,
    });
  });

  it('builds pool options', () => {
    const options = buildTransportOptions(
      { host: 'smtp.example.com', port: 587, security: 'tls' },
      target,
      {
        pool: { maxConnections: 2, rateLimit: 10 },
      },
    );
    expect(options).toMatchObject({
      pool: true,
      maxConnections: 2,
      maxMessages: 100,
      rateLimit: 10,
      rateDelta: 1000,
    });
    expect(
      buildTransportOptions({ host: 'smtp.example.com', port: 587, security: 'tls' }, target),
    ).not.toHaveProperty('pool');
  });
});

describe(validateSmtpSettings.name, () => {
  it('refuses a password in clear without allowInsecure', () => {
    const err = settingsError({ host: 'smtp.example.com', port: 25, security: 'none', ...login });
    expect(err.code).toBe('SMTP_PLAINTEXT_AUTH_REFUSED');
    expect(err.message).not.toContain(login.password);
    expect(() =>
      validateSmtpSettings({
        host: 'smtp.example.com',
        port: 25,
        security: 'none',
        ...login,
        allowInsecure: true,
      }),
    ).not.toThrow();
  });

  it.each<[string, SmtpSettings]>([
    [
      'a username without a password',
      { host: 'smtp.example.com', port: 587, security: 'tls', username: 'x' },
    ],
    [
      'a password without a username',
      { host: 'smtp.example.com', port: 587, security: 'tls', password: 'x' },
    ],
    ['port 0', { host: 'smtp.example.com', port: 0, security: 'tls' }],
    ['an unknown security', { host: 'smtp.example.com', port: 587, security: 'starttls' as never }],
    ['an empty host', { host: '', port: 587, security: 'tls' }],
  ])('refuses %s', (_what, settings) => {
    expect(settingsError(settings).code).toBe('SMTP_SETTINGS_INVALID');
  });
});
