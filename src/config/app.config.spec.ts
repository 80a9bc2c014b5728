import { SEND_TIMEOUTS } from './smtp-timeouts';
import { hostname } from 'node:os';
import {
  ConfigError,
  ehloName,
  loadConfig,
  MIN_MESSAGE_CLAIM_MS,
  previousSecrets,
  trustProxySetting,
  withoutCredentials,
} from './app.config';

describe('loadConfig: MESSAGE_CLAIM_MS', () => {
  it('defaults to two minutes', () => {
    expect(loadConfig({}).MESSAGE_CLAIM_MS).toBe(120_000);
  });

  it('takes a value at or above the minimum', () => {
    expect(loadConfig({ MESSAGE_CLAIM_MS: String(MIN_MESSAGE_CLAIM_MS) }).MESSAGE_CLAIM_MS).toBe(
      MIN_MESSAGE_CLAIM_MS,
    );
    expect(loadConfig({ MESSAGE_CLAIM_MS: '600000' }).MESSAGE_CLAIM_MS).toBe(600_000);
  });

  it('has a minimum longer than a send that meets every SMTP send timeout once', () => {
    const longestSingle = Math.max(...Object.values(SEND_TIMEOUTS));
    expect(MIN_MESSAGE_CLAIM_MS).toBeGreaterThan(longestSingle);
    expect(MIN_MESSAGE_CLAIM_MS).toBe(
      SEND_TIMEOUTS.dnsTimeoutMs +
        SEND_TIMEOUTS.connectionTimeoutMs +
        SEND_TIMEOUTS.greetingTimeoutMs +
        SEND_TIMEOUTS.socketTimeoutMs,
    );
    expect(MIN_MESSAGE_CLAIM_MS).toBeLessThanOrEqual(120_000);
  });

  it.each([String(MIN_MESSAGE_CLAIM_MS - 1), '1000', '0', '-5', '1.5', 'soon'])(
    'refuses %s, naming the variable and the minimum',
    (value) => {
      const attempt = () => loadConfig({ MESSAGE_CLAIM_MS: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/MESSAGE_CLAIM_MS=/);
      expect(attempt).toThrow(new RegExp(`at least ${MIN_MESSAGE_CLAIM_MS}`));
    },
  );
});

describe('loadConfig: where the service listens and whom it trusts', () => {
  it('listens on loopback unless HOST says otherwise, and refuses what is not an address', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
    expect(() => loadConfig({ HOST: 'everywhere' })).toThrow(
      /HOST="everywhere": HOST must be an IP/,
    );
  });

  it.each([
    ['false', false],
    ['', false],
    ['1', 1],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
  ])('reads TRUST_PROXY=%p as %p', (value, setting) => {
    expect(trustProxySetting(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY)).toEqual(setting);
  });

  it('trusts no proxy by default, so a client cannot choose its address with X-Forwarded-For', () => {
    expect(trustProxySetting(loadConfig({}).TRUST_PROXY)).toBe(false);
  });

  it.each(['10.0.0.0/99', 'proxy.example', 'yes'])('refuses TRUST_PROXY=%p', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be false, a number/);
  });
});

describe('loadConfig: secrets in errors', () => {
  it.each([
    ['DATABASE_URL', 'mysql://app:s3cret-pw@db:3306/x'],
    ['REDIS_URL', 'http://:s3cret-pw@cache:6379'],
    ['BUILTIN_SMTP_URL', 'ftp://relay:s3cret-pw@mail.example'],
  ])('names a bad %s without its password', (name, value) => {
    const attempt = () => loadConfig({ [name]: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`${name}=`));
    expect(attempt).not.toThrow(/s3cret-pw/);
    expect(attempt).toThrow(/\*\*\*@/);
  });

  it('masks only the credentials of a URL', () => {
    expect(withoutCredentials('postgres://u:p@h:5432/d')).toBe('postgres://***@h:5432/d');
    expect(withoutCredentials('redis://cache:6379')).toBe('redis://cache:6379');
    expect(withoutCredentials(42)).toBe(42);
  });
});

describe('loadConfig: production', () => {
  it('refuses to start with localhost links or a local From address, saying what to set', () => {
    const attempt = () => loadConfig({ NODE_ENV: 'production' });
    expect(attempt).toThrow(
      /PUBLIC_BASE_URL="http:\/\/localhost:3000": links in emails would point at localhost/,
    );
    expect(attempt).toThrow(
      /BUILTIN_FROM_ADDRESS="notifications@localhost": the built-in sender would send From a local address/,
    );
  });

  it('starts with public settings', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://notify.acme.example',
      BUILTIN_FROM_ADDRESS: 'notifications@acme.example',
    });
    expect(ehloName(config)).toBe('notify.acme.example');
  });

  it('names itself in EHLO by SMTP_EHLO_NAME, else the public host, else the machine', () => {
    expect(ehloName(loadConfig({ SMTP_EHLO_NAME: 'mx1.acme.example' }))).toBe('mx1.acme.example');
    expect(ehloName(loadConfig({}))).toBe(hostname());
  });
});

describe('loadConfig: APP_SECRET_PREVIOUS', () => {
  const A = 'a-secret-of-the-first-year-0123456789';
  const B = 'b-secret-of-the-second-year-0123456789';

  it('is optional, and reads as a comma-separated list of earlier secrets', () => {
    expect(previousSecrets(loadConfig({}))).toEqual([]);
    expect(previousSecrets(loadConfig({ APP_SECRET_PREVIOUS: '' }))).toEqual([]);
    expect(previousSecrets(loadConfig({ APP_SECRET_PREVIOUS: A }))).toEqual([A]);
    expect(previousSecrets(loadConfig({ APP_SECRET_PREVIOUS: ` ${A}, ${B} ,` }))).toEqual([A, B]);
  });

  it.each([['short'], [`${A},short`], [',']])(
    'refuses %j like APP_SECRET, without showing any of it',
    (value) => {
      const attempt = () => loadConfig({ APP_SECRET_PREVIOUS: value });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/APP_SECRET_PREVIOUS=\(hidden\): .*each at least 32 characters/);
      try {
        attempt();
      } catch (err) {
        expect((err as Error).message).not.toContain(A);
        expect((err as Error).message).not.toContain('short');
      }
    },
  );
});

describe('loadConfig: DATABASE_POOL_SIZE', () => {
  it('defaults to 10 connections a process and takes another size', () => {
    expect(loadConfig({}).DATABASE_POOL_SIZE).toBe(10);
    expect(loadConfig({ DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE).toBe(4);
  });
});

describe('loadConfig: a bad value', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['JOB_ATTEMPTS', 'many'],
  ])('echoes %s as it was given (%s), not as it was converted', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(
      new RegExp(`  ${name}=${JSON.stringify(value)}: `),
    );
  });

  it.each(['0', '1001', '2.5', 'ten'])(
    'refuses DATABASE_POOL_SIZE=%s, saying what it takes',
    (v) => {
      expect(() => loadConfig({ DATABASE_POOL_SIZE: v })).toThrow(
        /DATABASE_POOL_SIZE must be a whole number of connections from 1 to 1000/,
      );
    },
  );

  it('says what a port is', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(
      new RegExp(
        'PORT="abc": PORT must be a port number from 1 to 65535, such as 3000 \\(0 picks a free one\\)$',
        'm',
      ),
    );
  });
});
