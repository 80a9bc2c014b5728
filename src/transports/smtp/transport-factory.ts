import { connect, Socket } from 'node:net';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { AllowedHost } from './host-guard';
import { SmtpError } from './smtp-errors';
import { xoauth2Handler } from './xoauth2';
import { SMTP_SECURITY_VALUES, type SmtpSettings } from './smtp-settings';
import { SEND_TIMEOUTS, type SmtpTimeouts } from '../../config/smtp-timeouts';

/** Both the pooled and the single-connection SMTP transports answer with this shape. */
export type SmtpTransporter = Transporter<SMTPPool.SentMessageInfo>;

export interface SmtpPoolOptions {
  /** Simultaneous connections to the server; default 5. */
  maxConnections?: number;
  /** Messages per connection before it is replaced; default 100. */
  maxMessages?: number;
  /** At most `rateLimit` messages per `rateDeltaMs`; unlimited when unset. */
  rateLimit?: number;
  rateDeltaMs?: number;
}

export interface TransportBuildOptions {
  /** Pooled connections (delivery) or one connection per call (verify, test sends). */
  pool?: boolean | SmtpPoolOptions;
  timeouts?: Partial<SmtpTimeouts>;
  /** Name sent with EHLO; a public name of this service, else nodemailer uses the machine's host name. */
  clientName?: string;
}

type Options = SMTPTransport.Options | SMTPPool.Options;

/**
 * Refuses settings that cannot be used safely before anything connects: a login needs both
 * username and password, and `none` sends them in clear, which needs `allowInsecure`.
 */
export function validateSmtpSettings(settings: SmtpSettings): void {
  const invalid = (message: string) =>
    new SmtpError('SMTP_SETTINGS_INVALID', message, { permanent: true, integrationFailing: true });
  if (!settings.host || typeof settings.host !== 'string') throw invalid('Enter the SMTP host.');
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) {
    throw invalid(`Port ${String(settings.port)} is not a valid port number.`);
  }
  if (!SMTP_SECURITY_VALUES.includes(settings.security)) {
    throw invalid(`Security must be one of ${SMTP_SECURITY_VALUES.join(', ')}.`);
  }
  const secret = Boolean(settings.password || settings.oauth2);
  if (Boolean(settings.username) !== secret) {
    throw invalid(
      'Enter both a username and a password, or neither for a server that needs no login.',
    );
  }
  if (settings.security === 'none' && secret && !settings.allowInsecure) {
    throw new SmtpError(
      'SMTP_PLAINTEXT_AUTH_REFUSED',
      'With security "none" the username and password would travel unencrypted. Choose TLS (STARTTLS, port 587) or SSL (port 465); only on a trusted network, allow an insecure login explicitly.',
      { permanent: true, integrationFailing: true },
    );
  }
}

/**
 * Opens the TCP connection for nodemailer, with Nagle's algorithm off before the first byte
 * (nodemailer 10 turns it off as well once it takes the socket over). nodemailer still does TLS
 * on this socket itself (implicit or STARTTLS) with the `tls` options, so certificates are
 * checked against the same name as before.
 *
 * A failed connect is handed over as a socket that fails at once, not as a callback error, so
 * nodemailer reports it as its own connect error (ESOCKET, command CONN) whichever transport
 * asked, and it is classified like one.
 */
export function noDelaySocket(
  connectionTimeoutMs: number,
): NonNullable<SMTPTransport.Options['getSocket']> {
  return (target, callback) => {
    const host = target.host ?? 'localhost';
    // nodemailer's options allow a port as a string.
    const port = Number(target.port ?? 25);
    const socket = connect({ host, port });
    // Set before the connect completes; Node applies it to the new connection.
    socket.setNoDelay(true);
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', settle);
      if (!err) {
        socket.setKeepAlive(true);
        callback(null, { connection: socket });
        return;
      }
      socket.destroy();
      const failed = new Socket();
      callback(null, { connection: failed });
      // After nodemailer has put its listeners on the socket, in the same turn.
      process.nextTick(() => failed.destroy(err));
    };
    // Worded like Node's own connect timeout, so it is classified as one.
    const timer = setTimeout(
      () =>
        settle(
          Object.assign(new Error(`connect ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT' }),
        ),
      connectionTimeoutMs,
    );
    socket.once('error', settle);
    socket.once('connect', () => settle(null));
  };
}

/**
 * nodemailer options for one program's server. Connects to the address the host guard checked,
 * sends the original name for SNI and the certificate check, and validates certificates always.
 */
export function buildTransportOptions(
  settings: SmtpSettings,
  target: AllowedHost,
  options: TransportBuildOptions = {},
): Options {
  validateSmtpSettings(settings);
  const timeouts: SmtpTimeouts = { ...SEND_TIMEOUTS, ...options.timeouts };
  const withLogin = Boolean(settings.username && (settings.password || settings.oauth2));
  // XOAUTH2 runs through our own handler: it gets the token from the shared cache, decodes the
  // server's refusal, and refreshes once when the server refuses the token.
  const oauth2 = settings.username && settings.oauth2 ? settings.oauth2 : undefined;
  const base: SMTPTransport.Options = {
    host: target.address,
    port: settings.port,
    secure: settings.security === 'ssl',
    // `tls`: STARTTLS or fail, never continue in clear. `none`: never upgrade.
    requireTLS: settings.security === 'tls',
    ignoreTLS: settings.security === 'none',
    opportunisticTLS: false,
    tls: {
      ...(target.servername ? { servername: target.servername } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    },
    auth: oauth2
      ? { user: settings.username, method: 'XOAUTH2' }
      : withLogin
        ? { user: settings.username, pass: settings.password }
        : undefined,
    ...(oauth2 && settings.username
      ? { customAuth: { XOAUTH2: xoauth2Handler(settings.username, oauth2) } }
      : {}),
    // Log in even when the server does not advertise AUTH, so wrong credentials fail at connect, not at the first send.
    forceAuth: withLogin,
    name: options.clientName,
    connectionTimeout: timeouts.connectionTimeoutMs,
    greetingTimeout: timeouts.greetingTimeoutMs,
    socketTimeout: timeouts.socketTimeoutMs,
    dnsTimeout: timeouts.dnsTimeoutMs,
    // `host` is already the checked address, so no lookup happens here either.
    getSocket: noDelaySocket(timeouts.connectionTimeoutMs),
    // Message content is program-controlled: attachments must never read local files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
  if (!options.pool) return base;
  const pool: SmtpPoolOptions = options.pool === true ? {} : options.pool;
  return {
    ...base,
    pool: true,
    maxConnections: pool.maxConnections ?? 5,
    maxMessages: pool.maxMessages ?? 100,
    ...(pool.rateLimit ? { rateLimit: pool.rateLimit, rateDelta: pool.rateDeltaMs ?? 1000 } : {}),
  };
}

export function createSmtpTransport(
  settings: SmtpSettings,
  target: AllowedHost,
  options: TransportBuildOptions = {},
): SmtpTransporter {
  const transport = createTransport(
    buildTransportOptions(settings, target, options) as SMTPPool.Options,
  ) as SmtpTransporter;
  // An unhandled 'error' event would end the process; failures reach callers through sendMail/verify.
  transport.on('error', () => undefined);
  return transport;
}
