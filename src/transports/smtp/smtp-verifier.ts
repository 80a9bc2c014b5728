import { connect as netConnect } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { resolveAllowedHost, type AllowedHost, type HostResolver } from './host-guard';
import {
  classifySmtpError,
  startTlsUnavailableError,
  summarizeReply,
  type SmtpErrorContext,
} from './smtp-errors';
import { type SmtpSecurity, type SmtpSettings } from './smtp-settings';
import { VERIFY_TIMEOUTS, type SmtpTimeouts } from '../../config/smtp-timeouts';
import { createSmtpTransport, validateSmtpSettings } from './transport-factory';

export interface VerifySmtpOptions {
  allowPrivateHosts: boolean;
  resolver?: HostResolver;
  /** Defaults to VERIFY_TIMEOUTS (about 10 s each). */
  timeouts?: Partial<SmtpTimeouts>;
  clientName?: string;
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

/**
 * Reads the greeting and the EHLO reply in plaintext, then quits. Used for `tls`: STARTTLS must
 * be offered, never just tried, and for telling a silent server from an implicit TLS port.
 */
export function probeEhlo(
  target: AllowedHost,
  port: number,
  timeouts: SmtpTimeouts,
  clientName = defaultClientName(),
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

    arm(timeouts.connectionTimeoutMs, 'Connection timeout');
    socket.once('connect', () => {
      stage = 'greeting';
      arm(timeouts.greetingTimeoutMs, 'Greeting never received');
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
): Promise<boolean | undefined> {
  return new Promise((resolve) => {
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
      socket.destroy();
      resolve(value);
    };
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
 * Checks that a program's SMTP settings work before anything is saved: the host guard, then a
 * real connection with the chosen security and login. Throws an SmtpError that says what to change.
 */
export async function verifySmtp(
  settings: SmtpSettings,
  options: VerifySmtpOptions,
): Promise<SmtpVerifyResult> {
  validateSmtpSettings(settings);
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

  if (settings.security === 'tls') {
    let probe: EhloProbe;
    try {
      probe = await probeEhlo(target, settings.port, timeouts, options.clientName);
    } catch (err) {
      throw await diagnose(err);
    }
    if (!probe.extensions.includes('STARTTLS')) {
      throw startTlsUnavailableError(ctx, { serverReply: summarizeReply(probe.greeting) });
    }
  }

  const transport = createSmtpTransport(settings, target, {
    pool: false,
    timeouts,
    clientName: options.clientName,
  });
  try {
    await transport.verify();
  } catch (err) {
    throw await diagnose(err);
  } finally {
    transport.close();
  }
  return {
    host: target.host,
    address: target.address,
    port: settings.port,
    security: settings.security,
    authenticated: Boolean(settings.username && settings.password),
  };
}
