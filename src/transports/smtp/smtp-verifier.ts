import { connect as netConnect } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { resolveAllowedHost, type AllowedHost, type HostResolver } from './host-guard';
import {
  classifyRecipientRejection,
  classifySmtpError,
  implicitTlsMismatchError,
  SmtpError,
  startTlsUnavailableError,
  summarizeReply,
  type SmtpErrorContext,
} from './smtp-errors';
import { type SmtpSecurity, type SmtpSettings } from './smtp-settings';
import { VERIFY_TIMEOUTS, type SmtpTimeouts } from '../../config/smtp-timeouts';
import { buildTransportOptions, validateSmtpSettings } from './transport-factory';

export interface VerifySmtpOptions {
  allowPrivateHosts: boolean;
  resolver?: HostResolver;
  /** Defaults to VERIFY_TIMEOUTS (about 10 s each). */
  timeouts?: Partial<SmtpTimeouts>;
  clientName?: string;
  /**
   * The envelope sender to try after the login (MAIL FROM, then RCPT TO the reserved
   * postmaster@example.com, then RSET), so settings that log in but cannot send are refused too.
   * Without it only the connection and the login are checked.
   */
  mailFrom?: string;
}

export interface SmtpVerifyResult {
  host: string;
  /** The address that was checked and connected to. */
  address: string;
  port: number;
  security: SmtpSecurity;
  /** True when a username and password were accepted. */
  authenticated: boolean;
}

/** What a server said before any TLS: its greeting and the extensions its EHLO reply lists. */
export interface EhloProbe {
  greeting: string;
  extensions: string[];
}

// The same shape nodemailer gives its errors, so the classifier reads both alike.
function smtpLikeError(message: string, code: string, command = 'CONN', response?: string): Error {
  return Object.assign(new Error(message), { code, command, ...(response ? { response } : {}) });
}

function defaultClientName(): string {
  const name = hostname();
  return name.includes('.') ? name : '[127.0.0.1]';
}

const MAX_PROBE_BYTES = 64 * 1024;

// How long a server may stay silent before a second connection tries a TLS handshake: an
// implicit TLS port waits for the client and never greets, so it is found out long before the
// greeting timeout. Servers that greet at all greet well within this.
const IMPLICIT_TLS_PROBE_AFTER_MS = 2000;

// RFC 2606 reserves example.com, and it publishes a null MX (RFC 7505): nothing could be
// delivered to it, and nothing is sent anyway, since the session ends with RSET before DATA.
const VERIFY_RECIPIENT = 'postmaster@example.com';

export interface ProbeHooks {
  /** Ends the probe at once (its promise rejects). */
  signal?: AbortSignal;
  /** The TCP connection is up; the greeting is awaited. */
  onConnect?: () => void;
  /** The server greeted. */
  onGreeting?: () => void;
}

/**
 * Reads the greeting and the EHLO reply in plaintext, then quits. Used for `tls`: STARTTLS must
 * be offered, never just tried, and for telling a silent server from an implicit TLS port.
 */
export function probeEhlo(
  target: AllowedHost,
  port: number,
  timeouts: SmtpTimeouts,
  clientName = defaultClientName(),
  hooks: ProbeHooks = {},
): Promise<EhloProbe> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.address, port });
    let stage: 'connect' | 'greeting' | 'ehlo' | 'done' = 'connect';
    let buffer = '';
    let lines: string[] = [];
    let greeting = '';
    let timer: NodeJS.Timeout | undefined;

    const finish = (err: Error | undefined, result?: EhloProbe) => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      hooks.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('data');
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.end('QUIT\r\n');
        setTimeout(() => socket.destroy(), 1000).unref();
        resolve(result as EhloProbe);
      }
    };
    const arm = (ms: number, message: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(smtpLikeError(message, 'ETIMEDOUT')), ms);
    };

    const onAbort = () => finish(smtpLikeError('Probe cancelled', 'EABORT'));
    if (hooks.signal?.aborted) return onAbort();
    hooks.signal?.addEventListener('abort', onAbort);

    arm(timeouts.connectionTimeoutMs, 'Connection timeout');
    socket.once('connect', () => {
      stage = 'greeting';
      arm(timeouts.greetingTimeoutMs, 'Greeting never received');
      hooks.onConnect?.();
    });
    socket.on('error', (err) => finish(Object.assign(err, { command: 'CONN' })));
    socket.on('close', () =>
      finish(
        smtpLikeError(
          'Connection closed unexpectedly',
          'ECONNECTION',
          'CONN',
          lines.join('\n') || undefined,
        ),
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      if (buffer.length > MAX_PROBE_BYTES)
        return finish(smtpLikeError('Reply too long', 'EPROTOCOL'));
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        // A reply ends with a line whose code is followed by a space (or nothing), not a dash.
        if (!/^\d{3}(?: |$)/.test(line)) continue;
        const reply = lines.join('\n');
        lines = [];
        if (stage === 'greeting') {
          if (!reply.startsWith('220'))
            return finish(smtpLikeError('Invalid greeting', 'EPROTOCOL', 'CONN', reply));
          greeting = reply;
          hooks.onGreeting?.();
          stage = 'ehlo';
          arm(timeouts.socketTimeoutMs, 'Timeout');
          socket.write(`EHLO ${clientName}\r\n`);
        } else if (stage === 'ehlo') {
          const extensions = reply.startsWith('2')
            ? reply
                .split('\n')
                .slice(1)
                .map((l) => l.slice(4).trim().split(/\s+/)[0].toUpperCase())
                .filter(Boolean)
            : [];
          return finish(undefined, { greeting, extensions });
        }
      }
    });
  });
}

/**
 * Whether the port answers a TLS handshake: true (it speaks implicit TLS), false (it answered
 * in plaintext), undefined (no answer either way). Certificates are validated here too; a
 * certificate error still proves the port speaks TLS.
 */
export function probeImplicitTls(
  target: AllowedHost,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    let settled = false;
    const socket = tlsConnect({
      host: target.address,
      port,
      ...(target.servername ? { servername: target.servername } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
    const done = (value: boolean | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(value);
    };
    const onAbort = () => done(undefined);
    signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException & { reason?: string }) => {
      const text = `${err.code ?? ''} ${err.reason ?? ''} ${err.message}`;
      if (/wrong version number|packet length too long|unknown protocol|http request/i.test(text))
        return done(false);
      if (/CERT|certificate|altnames|alert|SSL/i.test(text)) return done(true);
      done(undefined);
    });
    socket.once('close', () => done(undefined));
  });
}

function isGreetingTimeout(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    /greeting never received/i.test(String((err as Error).message))
  );
}

/**
 * The plaintext greeting and EHLO, for `none` and `tls`. While the server stays silent a second
 * connection tries a TLS handshake: a port that answers it speaks implicit TLS, which is said at
 * once instead of after the greeting timeout.
 */
async function probePlaintext(
  target: AllowedHost,
  port: number,
  timeouts: SmtpTimeouts,
  ctx: SmtpErrorContext,
  clientName: string | undefined,
): Promise<EhloProbe> {
  const stop = new AbortController();
  let silence: NodeJS.Timeout | undefined;
  // Undefined until the TLS probe has answered (or when it never ran).
  let implicitTls: boolean | undefined;
  let sawImplicitTls: () => void = () => undefined;
  const implicitTlsSeen = new Promise<'implicit-tls'>((resolve) => {
    sawImplicitTls = () => resolve('implicit-tls');
  });
  const startTlsProbe = () => {
    void probeImplicitTls(target, port, timeouts.greetingTimeoutMs, stop.signal).then((answer) => {
      implicitTls = answer;
      if (answer) sawImplicitTls();
    });
  };
  const probe = probeEhlo(target, port, timeouts, clientName ?? defaultClientName(), {
    signal: stop.signal,
    onConnect: () => {
      silence = setTimeout(
        startTlsProbe,
        Math.min(IMPLICIT_TLS_PROBE_AFTER_MS, timeouts.greetingTimeoutMs / 2),
      );
    },
    onGreeting: () => clearTimeout(silence),
  });
  try {
    const outcome = await Promise.race([probe, implicitTlsSeen]);
    if (outcome === 'implicit-tls') throw implicitTlsMismatchError(ctx);
    return outcome;
  } catch (err) {
    if (err instanceof SmtpError) throw err;
    // A greeting timeout on a port whose TLS probe has not answered yet is judged by the port.
    throw classifySmtpError(
      err,
      isGreetingTimeout(err) ? { ...ctx, implicitTlsDetected: implicitTls } : ctx,
    );
  } finally {
    clearTimeout(silence);
    stop.abort();
  }
}

// nodemailer has no public call for MAIL FROM and RCPT TO without DATA (SMTPConnection.send goes
// on to DATA once a recipient is accepted), so the envelope check sends its commands through
// these members of SMTPConnection, the ones its own commands use; the specs run it against a
// real server, so a nodemailer that changed them would fail there, not in production.
interface RawSmtpCommands {
  _sendCommand(line: string): void;
  _responseActions: Array<(reply: string) => void>;
  _supportedExtensions: string[];
}

function sendRaw(connection: SMTPConnection, line: string): Promise<string> {
  const raw = connection as unknown as RawSmtpCommands;
  if (typeof raw._sendCommand !== 'function' || !Array.isArray(raw._responseActions)) {
    throw new Error('nodemailer SMTPConnection has no _sendCommand: the envelope check needs it');
  }
  return new Promise((resolve) => {
    raw._responseActions.push((reply) => resolve(reply));
    raw._sendCommand(line);
  });
}

// The same shape nodemailer gives a refused MAIL FROM or RCPT TO, so the classifier reads both alike.
function refusal(command: 'MAIL FROM' | 'RCPT TO', reply: string): Error {
  return Object.assign(new Error(`${command} refused`), {
    code: 'EENVELOPE',
    command,
    response: reply,
    responseCode: Number(reply.slice(0, 3)),
  });
}

/**
 * What sending needs after the login: the server must take the From address and a recipient
 * outside its own domains. Ends with RSET, so no message is ever started.
 */
async function checkEnvelope(
  connection: SMTPConnection,
  mailFrom: string,
  ctx: SmtpErrorContext,
): Promise<void> {
  const raw = connection as unknown as RawSmtpCommands;
  // As nodemailer does for a real message: SMTPUTF8 for an internationalised address.
  const utf8 =
    /[\u0080-\uFFFF]/.test(mailFrom) && raw._supportedExtensions?.includes('SMTPUTF8')
      ? ' SMTPUTF8'
      : '';
  const mail = await sendRaw(connection, `MAIL FROM:<${mailFrom}>${utf8}`);
  if (!mail.startsWith('2')) throw classifySmtpError(refusal('MAIL FROM', mail), ctx);
  const rcpt = await sendRaw(connection, `RCPT TO:<${VERIFY_RECIPIENT}>`);
  if (!rcpt.startsWith('2')) {
    const err = classifySmtpError(refusal('RCPT TO', rcpt), ctx);
    if (err.code !== 'SMTP_RECIPIENT_REJECTED') throw err;
    // A server that checks recipient domains refuses the reserved address for itself (null MX,
    // unknown mailbox); that says nothing about these settings.
    const own = classifyRecipientRejection({ recipient: VERIFY_RECIPIENT, response: rcpt });
    if (own.code !== 'SMTP_RECIPIENT_UNKNOWN' && own.code !== 'SMTP_RECIPIENT_MAILBOX_FULL') {
      throw new SmtpError(
        'SMTP_RECIPIENT_REJECTED',
        `The server refused the test recipient ${VERIFY_RECIPIENT} (${[err.responseCode, err.enhancedStatus].filter(Boolean).join(' ')}), so it would likely refuse other mail from these settings too.${err.serverReply ? ` The server said: ${err.serverReply}` : ''}`,
        {
          permanent: err.permanent,
          integrationFailing: true,
          responseCode: err.responseCode,
          enhancedStatus: err.enhancedStatus,
          command: err.command,
          serverReply: err.serverReply,
        },
      );
    }
  }
  await new Promise<void>((resolve, reject) =>
    connection.reset((err) => (err ? reject(err) : resolve())),
  );
}

/**
 * One session with nodemailer's SMTPConnection, built from the same options as the delivery
 * transport: connect (TLS as chosen), log in, then the envelope check when a From is given.
 */
function runSession(
  settings: SmtpSettings,
  target: AllowedHost,
  timeouts: SmtpTimeouts,
  ctx: SmtpErrorContext,
  options: { clientName?: string; mailFrom?: string },
): Promise<void> {
  const transportOptions = buildTransportOptions(settings, target, {
    pool: false,
    timeouts,
    clientName: options.clientName,
  });
  // buildTransportOptions always sets getSocket (the checked address, Nagle off).
  const getSocket = transportOptions.getSocket as NonNullable<SMTPTransport.Options['getSocket']>;
  return new Promise((resolve, reject) => {
    getSocket(transportOptions, (socketError: Error | null, socketOptions: unknown) => {
      if (socketError) return reject(socketError);
      const connection = new SMTPConnection({
        ...(transportOptions as SMTPConnection.Options),
        ...((socketOptions ?? {}) as Partial<SMTPConnection.Options>),
      });
      let returned = false;
      const finish = (err?: Error) => {
        if (returned) return;
        returned = true;
        if (err) {
          connection.close();
          reject(err);
        } else {
          connection.quit();
          resolve();
        }
      };
      connection.once('error', (err) => finish(err));
      connection.once('end', () => finish(new Error('Connection closed')));
      connection.connect(() => {
        if (returned) return;
        const afterLogin = (err?: Error | null) => {
          if (returned) return;
          if (err) return finish(err);
          if (!options.mailFrom) return finish();
          checkEnvelope(connection, options.mailFrom, ctx).then(
            () => finish(),
            // checkEnvelope throws only Errors (SmtpErrors, or nodemailer's from RSET).
            (envelopeError: Error) => finish(envelopeError),
          );
        };
        // Log in whenever credentials are given, advertised or not (like forceAuth), so wrong
        // ones fail here and not at the first send.
        if (settings.username && settings.oauth2) {
          // The transport options carry the XOAUTH2 handler; the login runs it.
          connection.login({ user: settings.username, method: 'XOAUTH2' }, afterLogin);
        } else if (settings.username && settings.password) {
          connection.login(
            { credentials: { user: settings.username, pass: settings.password } },
            afterLogin,
          );
        } else {
          afterLogin();
        }
      });
    });
  });
}

/**
 * Checks that a program's SMTP settings work before anything is saved: the host guard, then a
 * real connection with the chosen security and login, then (with `mailFrom`) that the server
 * takes the From address and relays for this login. Throws an SmtpError that says what to change.
 */
export async function verifySmtp(
  settings: SmtpSettings,
  options: VerifySmtpOptions,
): Promise<SmtpVerifyResult> {
  validateSmtpSettings(settings);
  if (options.mailFrom !== undefined && /[\r\n<>\s]|^$/.test(options.mailFrom)) {
    throw new SmtpError(
      'SMTP_SETTINGS_INVALID',
      `${JSON.stringify(options.mailFrom)} is not a valid From address.`,
      { permanent: true, integrationFailing: true },
    );
  }
  const timeouts: SmtpTimeouts = { ...VERIFY_TIMEOUTS, ...options.timeouts };
  const target = await resolveAllowedHost(settings.host, settings.port, {
    allowPrivateHosts: options.allowPrivateHosts,
    resolver: options.resolver,
    timeoutMs: timeouts.dnsTimeoutMs,
  });
  const ctx: SmtpErrorContext = {
    host: target.host,
    port: settings.port,
    security: settings.security,
    secrets: settings.password ? [settings.password] : [],
    greetingTimeoutMs: timeouts.greetingTimeoutMs,
    phase: 'verify',
  };

  const diagnose = async (err: unknown) => {
    if (err instanceof SmtpError) return err;
    // A silent server on a non-SSL setting is often an implicit TLS port: find out before blaming a timeout.
    if (settings.security !== 'ssl' && isGreetingTimeout(err)) {
      const implicitTlsDetected = await probeImplicitTls(
        target,
        settings.port,
        Math.min(timeouts.connectionTimeoutMs, 5000),
      );
      return classifySmtpError(err, { ...ctx, implicitTlsDetected });
    }
    return classifySmtpError(err, ctx);
  };

  // `none` and `tls` both begin in plaintext: the probe tells an implicit TLS port at once, and
  // for `tls` that STARTTLS is offered (never just tried).
  if (settings.security !== 'ssl') {
    const probe = await probePlaintext(target, settings.port, timeouts, ctx, options.clientName);
    if (settings.security === 'tls' && !probe.extensions.includes('STARTTLS')) {
      throw startTlsUnavailableError(ctx, { serverReply: summarizeReply(probe.greeting) });
    }
  }

  try {
    await runSession(settings, target, timeouts, ctx, {
      clientName: options.clientName,
      mailFrom: options.mailFrom,
    });
  } catch (err) {
    throw await diagnose(err);
  }
  return {
    host: target.host,
    address: target.address,
    port: settings.port,
    security: settings.security,
    authenticated: Boolean(settings.username && (settings.password || settings.oauth2)),
  };
}
