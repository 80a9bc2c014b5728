import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  validateSync,
  ValidationError,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import proxyAddr from 'proxy-addr';
import { SEND_TIMEOUTS } from './smtp-timeouts';
import { SendLimitWindowsConstraint } from '../send-limits/send-window.config';
import { stacked, type FieldDecorator } from '../common/validation/validators';

@ValidatorConstraint({ name: 'trustProxy' })
class TrustProxyConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    const setting = trustProxySetting(value);
    if (!Array.isArray(setting)) return true;
    try {
      proxyAddr.compile(setting);
      return true;
    } catch {
      return false;
    }
  }

  defaultMessage(): string {
    return 'TRUST_PROXY must be false, a number of proxy hops, or a comma-separated list of addresses and CIDR ranges (or loopback, linklocal, uniquelocal)';
  }
}

@ValidatorConstraint({ name: 'oauthEndpoint' })
class OAuthEndpointConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isOAuthEndpoint(value);
  }

  defaultMessage(): string {
    return 'OAuth endpoints must be https:// URLs (http:// only on localhost or a loopback address)';
  }
}

/** An https URL, or http on this machine only: the endpoint receives client secrets and refresh tokens. */
export function isOAuthEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(url.hostname);
}

const MIN_SECRET_LENGTH = 32;

const DATABASE_POOL_SIZE_MESSAGE =
  'DATABASE_POOL_SIZE must be a whole number of connections from 1 to 1000, such as 10';

const PORT_MESSAGE =
  'PORT must be a port number from 1 to 65535, such as 3000 (0 picks a free one)';

/** The earlier APP_SECRET values in APP_SECRET_PREVIOUS, in order, without blanks. */
export function previousSecrets(config: Pick<AppConfig, 'APP_SECRET_PREVIOUS'>): string[] {
  return (config.APP_SECRET_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

@ValidatorConstraint({ name: 'secretList' })
class SecretListConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    const secrets = previousSecrets({ APP_SECRET_PREVIOUS: value });
    return secrets.length > 0 && secrets.every((s) => s.length >= MIN_SECRET_LENGTH);
  }

  defaultMessage(): string {
    return `APP_SECRET_PREVIOUS must be a comma-separated list of earlier APP_SECRET values, each at least ${MIN_SECRET_LENGTH} characters`;
  }
}

const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : typeof value === 'string'
      ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())
      : value === true;
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

// The shapes most settings take; stacked, so each check comes in the order written out.

/** A whole number of at least `min` (and at most `max`); `message` replaces every check's own. */
const IntSetting = (min: number, max?: number, message?: string) => {
  const options = message === undefined ? undefined : { message };
  return stacked(
    Transform(toInt),
    IsInt(options),
    Min(min, options),
    ...(max === undefined ? [] : [Max(max, options)]),
  );
};

/** On for 1, true, yes or on (any case); off for any other value. */
const BoolSetting = () => stacked(Transform(toBool), IsBoolean());

/** May be left unset; an empty value counts as unset. */
const OptionalSetting = () => stacked(Transform(emptyToUndefined), IsOptional());

const DOMAIN_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i;

/** A domain name; the message names the setting. */
const DomainSetting = (): FieldDecorator => (object, propertyName) =>
  Matches(DOMAIN_NAME, { message: `${propertyName} must be a domain name` })(object, propertyName);

export type AppRole = 'all' | 'api' | 'worker';

/**
 * The shortest delivery claim: a send that meets each SMTP send timeout once (DNS, connect,
 * greeting, then the longest silence of a session) is over by then, sent or failed.
 */
export const MIN_MESSAGE_CLAIM_MS =
  SEND_TIMEOUTS.dnsTimeoutMs +
  SEND_TIMEOUTS.connectionTimeoutMs +
  SEND_TIMEOUTS.greetingTimeoutMs +
  SEND_TIMEOUTS.socketTimeoutMs;

/**
 * Every environment variable the service reads. Defaults are the embedded setup:
 * SQLite in DATA_DIR, in-process queue, emails written as .eml files.
 */
export class AppConfig {
  @IntSetting(0, 65535, PORT_MESSAGE)
  PORT = 3000;

  /** The address to listen on: loopback by default; 0.0.0.0 (or ::) to take connections from elsewhere. */
  @IsIP(undefined, {
    message: 'HOST must be an IP address to listen on, such as 127.0.0.1 or 0.0.0.0',
  })
  HOST = '127.0.0.1';

  /**
   * Which proxies in front of the service are trusted to say the client's address
   * (X-Forwarded-For): `false` (none, the default), a number of hops, or a comma-separated list
   * of addresses and CIDR ranges (also loopback, linklocal, uniquelocal). Rate limits and logs
   * use the address this yields.
   */
  @Validate(TrustProxyConstraint)
  TRUST_PROXY = 'false';

  /** The name the service gives itself in SMTP EHLO; by default the host of PUBLIC_BASE_URL, or the machine's name when that is localhost. */
  @OptionalSetting()
  @Matches(DOMAIN_NAME, { message: 'SMTP_EHLO_NAME must be a host name' })
  SMTP_EHLO_NAME?: string;

  /** `production` refuses to start with settings only a laptop should have (localhost links or From). */
  @OptionalSetting()
  @IsString()
  NODE_ENV?: string;

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @OptionalSetting()
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'DATABASE_URL must be a postgres:// URL, or unset for SQLite',
  })
  DATABASE_URL?: string;

  /**
   * Connections each process may open to Postgres (its pool). Every process holds up to this
   * many, so processes × this must stay under the server's max_connections (README).
   */
  @IntSetting(1, 1000, DATABASE_POOL_SIZE_MESSAGE)
  DATABASE_POOL_SIZE = 10;

  @OptionalSetting()
  @Matches(/^rediss?:\/\//, {
    message: 'REDIS_URL must be a redis:// or rediss:// URL, or unset for the in-process queue',
  })
  REDIS_URL?: string;

  /** Key for credentials stored encrypted; generated into DATA_DIR when unset. */
  @OptionalSetting()
  @IsString()
  @MinLength(MIN_SECRET_LENGTH, { message: 'APP_SECRET must be at least 32 characters' })
  APP_SECRET?: string;

  /**
   * Earlier APP_SECRET values, comma-separated, while APP_SECRET is rotated: what was sealed under
   * them still opens, and `npm run secrets:reseal` seals it again under APP_SECRET. New values are
   * always sealed under APP_SECRET.
   */
  @OptionalSetting()
  @Validate(SecretListConstraint)
  APP_SECRET_PREVIOUS?: string;

  /** Operator token for POST /v1/programs; generated into DATA_DIR when unset. */
  @OptionalSetting()
  @IsString()
  @MinLength(24, { message: 'ADMIN_TOKEN must be at least 24 characters' })
  ADMIN_TOKEN?: string;

  @IsUrl(
    { require_tld: false, require_protocol: true },
    { message: 'PUBLIC_BASE_URL must be an absolute http(s) URL' },
  )
  PUBLIC_BASE_URL = 'http://localhost:3000';

  @IsIn(['all', 'api', 'worker'])
  APP_ROLE: AppRole = 'all';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @BoolSetting()
  MIGRATIONS_RUN = true;

  /** Attempts per job before it is given up, and the first backoff delay. */
  @IntSetting(1, 50)
  JOB_ATTEMPTS = 8;

  @IntSetting(1)
  JOB_BACKOFF_MS = 2000;

  @IntSetting(1, 256)
  WORKER_CONCURRENCY = 8;

  /**
   * The most messages one delivery job takes: messages committed together (an evaluation's
   * emails, a sweep) are claimed, checked and recorded together, one job per this many.
   */
  @IntSetting(1, 500)
  DELIVERY_BATCH_SIZE = 50;

  /** Prefix of the Redis keys of the job queue; lets several deployments share one Redis. */
  @IsString()
  @Matches(/^[A-Za-z0-9:_-]+$/)
  QUEUE_PREFIX = 'rn';

  /** How often periodic sweeps run (stuck messages, due payout reminders). */
  @IntSetting(50)
  SWEEP_INTERVAL_MS = 30000;

  /** How long a queued or sending message may sit unclaimed before the sweeper queues it again. */
  @IntSetting(100)
  MESSAGE_STALE_MS = 60000;

  /**
   * How long one delivery holds its claim on a message; a claim left by a dead worker is handed
   * on only when it expires. At least MIN_MESSAGE_CLAIM_MS, so that a send running into every
   * SMTP timeout once still finishes within its claim and is not taken by a second worker.
   */
  @Transform(toInt)
  @IsInt()
  @Min(MIN_MESSAGE_CLAIM_MS, {
    message: `MESSAGE_CLAIM_MS must be at least ${MIN_MESSAGE_CLAIM_MS} (the SMTP send timeouts added up: DNS, connect, greeting and the longest silence)`,
  })
  MESSAGE_CLAIM_MS = 120000;

  /**
   * The windows the sending limits of SMTP accounts are counted in: a minute and a day. Only
   * tests shorten them; a day must be a whole number of minute windows, and production refuses
   * anything but the real lengths.
   */
  @IntSetting(100)
  SEND_LIMIT_MINUTE_MS = 60000;

  @IntSetting(100)
  @Validate(SendLimitWindowsConstraint)
  SEND_LIMIT_DAY_MS = 86400000;

  /** Largest accepted request body, in bytes. */
  @IntSetting(1024)
  BODY_LIMIT_BYTES = 1048576;

  /** Relay for the built-in sender; unset writes each message to DATA_DIR/outbox. */
  @OptionalSetting()
  @Matches(/^smtps?:\/\//, { message: 'BUILTIN_SMTP_URL must be an smtp:// or smtps:// URL' })
  BUILTIN_SMTP_URL?: string;

  /** From address of the built-in sender when a program has no verified domain. */
  @IsString()
  BUILTIN_FROM_ADDRESS = 'notifications@localhost';

  /**
   * Keep the exact bytes of each message sent over SMTP (a program's server or BUILTIN_SMTP_URL)
   * as an .eml in DATA_DIR/outbox, for GET /v1/messages/:id/raw. Messages holding one-time links
   * are never kept. Without it only the embedded sender's own .eml files exist.
   */
  @BoolSetting()
  KEEP_SENT_MESSAGES = false;

  /** Comma-separated DNS servers for sender-domain checks (ip or ip:port); unset uses the system's. */
  @OptionalSetting()
  @IsString()
  DNS_SERVERS?: string;

  /** What programs add to their SPF record as `include:` for a custom From domain. */
  @DomainSetting()
  SENDER_SPF_INCLUDE = 'spf.localhost';

  /** Host a custom From domain's return-path CNAME (bounces.<domain>) points at. */
  @DomainSetting()
  SENDER_BOUNCE_HOST = 'bounces.localhost';

  /**
   * How long a custom From domain that was verified keeps signing mail after it starts failing its
   * DNS check (records changed or missing), in hours; after that its mail stops until it is fixed.
   */
  @IntSetting(0)
  SENDER_DOMAIN_GRACE_HOURS = 72;

  /**
   * The inbound SMTP listener that takes bounces, complaints and replies (worker role): its port
   * (0 turns it off), the address it listens on, and the domain its addresses are at (the MX of
   * this domain, and the return-path CNAME of custom domains, point at the listener).
   */
  @IntSetting(0, 65535)
  INBOUND_SMTP_PORT = 2525;

  @IsIP(undefined, { message: 'INBOUND_SMTP_HOST must be an IP address to listen on' })
  INBOUND_SMTP_HOST = '127.0.0.1';

  @DomainSetting()
  INBOUND_DOMAIN = 'localhost';

  /** PEM files for STARTTLS on the listener; without them it offers no STARTTLS. */
  @OptionalSetting()
  @IsString()
  INBOUND_TLS_KEY_FILE?: string;

  @OptionalSetting()
  @IsString()
  INBOUND_TLS_CERT_FILE?: string;

  /** The largest email the listener takes, in bytes (10 MiB). */
  @IntSetting(1024)
  INBOUND_MAX_BYTES = 10 * 1024 * 1024;

  /** Emails one client address may hand the listener per minute. */
  @IntSetting(1)
  INBOUND_MESSAGES_PER_MINUTE = 120;

  /**
   * Programs' own mailboxes, read over IMAP by the worker role: how often a mailbox being read is
   * polled besides IDLE, and how often a worker looks for mailboxes nobody reads.
   */
  @IntSetting(100)
  INBOUND_MAILBOX_POLL_MS = 60000;

  /**
   * How long a worker holds a mailbox without renewing it (it renews every third of this): a
   * worker that dies without letting go has its mailboxes read by another once this runs out.
   */
  @IntSetting(1000)
  INBOUND_MAILBOX_LEASE_MS = 120000;

  /** Lets programs use SMTP/IMAP hosts on private or loopback addresses (on-premises, tests). */
  @BoolSetting()
  SMTP_ALLOW_PRIVATE_HOSTS = false;

  /** Lets webhook endpoints be on private or loopback addresses (on-premises receivers, tests). */
  @BoolSetting()
  WEBHOOK_ALLOW_PRIVATE_HOSTS = false;

  /** Longest wait for a webhook receiver's answer, connection included. */
  @IntSetting(100)
  WEBHOOK_TIMEOUT_MS = 10000;

  /** The wait before a webhook's second attempt; each later one waits twice the one before. */
  @IntSetting(10)
  WEBHOOK_BACKOFF_MS = 30000;

  /**
   * How long a webhook is retried before it is given up, and how long an endpoint may fail
   * without one success before it is disabled (with an alert to the program).
   */
  @IntSetting(1000)
  WEBHOOK_RETRY_WINDOW_MS = 259200000;

  /**
   * OAuth 2.0 sign-in (XOAUTH2) to Microsoft 365 and Google mailboxes. A provider without a client
   * id is not offered. The endpoints default to the providers' own; tests and sovereign clouds set
   * others. The redirect URI to register is PUBLIC_BASE_URL + /oauth/callback.
   */
  @OptionalSetting()
  @IsString()
  OAUTH_MICROSOFT_CLIENT_ID?: string;

  @OptionalSetting()
  @IsString()
  OAUTH_MICROSOFT_CLIENT_SECRET?: string;

  /** `common`, `organizations`, `consumers`, a tenant id or a tenant domain. */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/, {
    message:
      'OAUTH_MICROSOFT_TENANT must be common, organizations, consumers, a tenant id or domain',
  })
  OAUTH_MICROSOFT_TENANT = 'common';

  @OptionalSetting()
  @Validate(OAuthEndpointConstraint)
  OAUTH_MICROSOFT_AUTHORIZE_URL?: string;

  @OptionalSetting()
  @Validate(OAuthEndpointConstraint)
  OAUTH_MICROSOFT_TOKEN_URL?: string;

  @OptionalSetting()
  @IsString()
  OAUTH_GOOGLE_CLIENT_ID?: string;

  @OptionalSetting()
  @IsString()
  OAUTH_GOOGLE_CLIENT_SECRET?: string;

  @OptionalSetting()
  @Validate(OAuthEndpointConstraint)
  OAUTH_GOOGLE_AUTHORIZE_URL?: string;

  @OptionalSetting()
  @Validate(OAuthEndpointConstraint)
  OAUTH_GOOGLE_TOKEN_URL?: string;

  /** Lifetime of email verification links, in seconds (default 24 h). */
  @IntSetting(1)
  VERIFICATION_TOKEN_TTL_SECONDS = 86400;

  /** Lifetime of password reset links, in seconds (default 1 h). */
  @IntSetting(1)
  PASSWORD_RESET_TOKEN_TTL_SECONDS = 3600;

  /** Verification or reset emails one participant may receive per hour (each kind), whatever the HTTP limits let through. */
  @IntSetting(1)
  TOKEN_EMAILS_PER_ADDRESS_PER_HOUR = 3;

  /** Requests per minute one IP address may make to each public (publishable key) route. */
  @IntSetting(1)
  PUBLIC_RATE_LIMIT_IP_PER_MINUTE = 30;

  /** Requests per hour naming one email address, per public route. */
  @IntSetting(1)
  PUBLIC_RATE_LIMIT_ADDRESS_PER_HOUR = 10;

  /** Requests per minute to each public route of one program. */
  @IntSetting(1)
  PUBLIC_RATE_LIMIT_PROGRAM_PER_MINUTE = 600;

  /** Emails one event may send one recipient over all its rules; the actions past it are skipped. */
  @IntSetting(1)
  MAX_EMAILS_PER_EVENT_RECIPIENT = 5;

  /** Rules one program may have (the benchmarks run programs of 1,000). */
  @IntSetting(1)
  MAX_RULES_PER_PROGRAM = 1000;

  /** Template test sends one program may make per hour, counted in the database. */
  @IntSetting(1)
  TEST_SENDS_PER_HOUR = 30;

  /** Worker threads that render and check programs' own templates, off the main event loop. */
  @IntSetting(1, 64)
  TEMPLATE_WORKERS = 2;

  /** Longest one program template may take to render or be checked; its worker is stopped then. */
  @IntSetting(1)
  TEMPLATE_RENDER_TIMEOUT_MS = 2000;

  /** Heap (old generation) of each template worker, in MB; a render that needs more fails. */
  @IntSetting(16)
  TEMPLATE_WORKER_MEMORY_MB = 128;
}

export class ConfigError extends Error {}

// Unset by default, so not among the keys of a new AppConfig.
const OAUTH_OPTIONAL_SETTINGS = [
  'OAUTH_MICROSOFT_CLIENT_ID',
  'OAUTH_MICROSOFT_CLIENT_SECRET',
  'OAUTH_MICROSOFT_AUTHORIZE_URL',
  'OAUTH_MICROSOFT_TOKEN_URL',
  'OAUTH_GOOGLE_CLIENT_ID',
  'OAUTH_GOOGLE_CLIENT_SECRET',
  'OAUTH_GOOGLE_AUTHORIZE_URL',
  'OAUTH_GOOGLE_TOKEN_URL',
];

// Settings whose values an error never shows.
const HIDDEN_SETTINGS = [
  'APP_SECRET',
  'APP_SECRET_PREVIOUS',
  'ADMIN_TOKEN',
  'OAUTH_MICROSOFT_CLIENT_SECRET',
  'OAUTH_GOOGLE_CLIENT_SECRET',
];

/** A URL's user and password masked, so an error about it never prints the password. */
export function withoutCredentials(value: unknown): unknown {
  if (typeof value !== 'string' || !value.includes('@')) return value;
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1***@');
}

const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/i;

/** A host name no one else can reach: localhost or a loopback address. */
export function isLocalHostName(host: string): boolean {
  return LOCAL_HOSTS.test(host);
}

// In production, mail must not go out with links to localhost or From an address at localhost.
function productionErrors(config: AppConfig): ValidationError[] {
  if (config.NODE_ENV !== 'production') return [];
  const errors: ValidationError[] = [];
  const refuse = (property: string, value: unknown, why: string) =>
    errors.push(
      Object.assign(new ValidationError(), { property, value, constraints: { production: why } }),
    );
  const host = (() => {
    try {
      return new URL(config.PUBLIC_BASE_URL).hostname;
    } catch {
      return '';
    }
  })();
  if (LOCAL_HOSTS.test(host)) {
    refuse(
      'PUBLIC_BASE_URL',
      config.PUBLIC_BASE_URL,
      'links in emails would point at localhost; set the public address of this service',
    );
  }
  const fromDomain = config.BUILTIN_FROM_ADDRESS.split('@').pop() ?? '';
  if (LOCAL_HOSTS.test(fromDomain) || !fromDomain.includes('.')) {
    refuse(
      'BUILTIN_FROM_ADDRESS',
      config.BUILTIN_FROM_ADDRESS,
      'the built-in sender would send From a local address; set an address at a domain you send from',
    );
  }
  return errors;
}

/** The EHLO name of every SMTP connection the service opens. */
export function ehloName(config: Pick<AppConfig, 'SMTP_EHLO_NAME' | 'PUBLIC_BASE_URL'>): string {
  if (config.SMTP_EHLO_NAME) return config.SMTP_EHLO_NAME;
  const host = new URL(config.PUBLIC_BASE_URL).hostname;
  return LOCAL_HOSTS.test(host) || isIP(host) ? hostname() : host;
}

/** The `trust proxy` setting of express for TRUST_PROXY. */
export function trustProxySetting(value: string): boolean | number | string[] {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Validates the environment; throws one error that names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const raw: Record<string, unknown> = {};
  for (const key of [
    ...known,
    'DATABASE_URL',
    'REDIS_URL',
    'APP_SECRET',
    'APP_SECRET_PREVIOUS',
    'ADMIN_TOKEN',
    'BUILTIN_SMTP_URL',
    'DNS_SERVERS',
    'SMTP_EHLO_NAME',
    'NODE_ENV',
    'INBOUND_TLS_KEY_FILE',
    'INBOUND_TLS_CERT_FILE',
    ...OAUTH_OPTIONAL_SETTINGS,
  ]) {
    if (env[key] !== undefined) raw[key] = env[key];
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  if (config.APP_ROLE !== 'all' && !config.REDIS_URL) {
    errors.push(
      Object.assign(new ValidationError(), {
        property: 'APP_ROLE',
        value: config.APP_ROLE,
        constraints: {
          needsRedis:
            'APP_ROLE=api or worker needs REDIS_URL, so that api processes and workers share one queue',
        },
      }),
    );
  }
  errors.push(...productionErrors(config));
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const shown = HIDDEN_SETTINGS.includes(e.property)
        ? '(hidden)'
        : // What was given, not what it was converted to (PORT=abc is "abc", not null).
          JSON.stringify(withoutCredentials(e.property in raw ? raw[e.property] : e.value));
      return `  ${e.property}=${shown}: ${[...new Set(Object.values(e.constraints ?? {}))].join('; ')}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}
