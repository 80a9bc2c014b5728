import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationMethod,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';

/** A reply the test server sends verbatim, e.g. `{ code: 550, message: '5.1.1 No such user' }`. */
export interface SmtpReply {
  code: number;
  /**
   * Include the enhanced status code yourself: the server adds none, so replies are exactly as
   * written. Lines of a multi-line reply (`534-5.7.9 ...`) as an array, for a login's refusal.
   */
  message: string | string[];
  /** An XOAUTH2 refusal: sent as the base64 JSON of a 334 challenge, then 535 (as Google does). */
  data?: Record<string, string>;
}

export interface AuthAttempt {
  method: string;
  username: string;
  password: string;
  /** The bearer token of an XOAUTH2 login. */
  accessToken?: string;
}

/** What a handler returns: nothing to accept, a reply to refuse. */
export type SmtpHandlerResult = SmtpReply | void | undefined;

export interface SmtpTestServerOptions {
  /** Implicit TLS from the first byte (port 465 style). Default false: plaintext greeting with STARTTLS. */
  secure?: boolean;
  /** STARTTLS is not advertised in EHLO (the server would still accept the command). */
  hideSTARTTLS?: boolean;
  /** No STARTTLS at all: a plaintext-only server that accepts AUTH in clear. */
  disableSTARTTLS?: boolean;
  /** Offered AUTH mechanisms; default PLAIN and LOGIN; [] offers no AUTH. */
  authMethods?: SMTPServerAuthenticationMethod[];
  /** Refuse MAIL FROM with 530 until the client logged in. Default false. */
  authRequired?: boolean;
  /** Accepted logins; when set, any other answers 535 5.7.8. Default: every login is accepted. */
  users?: Record<string, string>;
  /** Decides a login; runs instead of `users`. */
  onAuth?: (attempt: AuthAttempt) => SmtpHandlerResult | Promise<SmtpHandlerResult>;
  onMailFrom?: (address: string) => SmtpHandlerResult | Promise<SmtpHandlerResult>;
  onRcptTo?: (address: string) => SmtpHandlerResult | Promise<SmtpHandlerResult>;
  /** Holds the 220 greeting back this long after a client connects. */
  greetingDelayMs?: number;
  /** PEM key and certificate; default the test CA's localhost certificate from TEST_CERT_DIR. */
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Largest message accepted, advertised with SIZE. */
  size?: number;
  /** Listen on this port (a server brought back after an outage); default a random one. */
  port?: number;
}

export interface ReceivedEnvelope {
  mailFrom: string;
  rcptTo: string[];
  /** The username the client logged in with, if any. */
  user?: string;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
}

/**
 * A message as the server received it: parsed by mailparser, plus the SMTP envelope and the name
 * the client gave in EHLO (or HELO).
 */
export type ReceivedMail = ParsedMail & { envelope: ReceivedEnvelope; ehlo: string; raw: Buffer };

export interface TestCertificates {
  dir: string;
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
}

/** The CA and localhost certificate that `node scripts/test-ca.js` made (the app trusts the CA through NODE_EXTRA_CA_CERTS). */
export function testCertificates(): TestCertificates {
  const dir = process.env.TEST_CERT_DIR;
  if (!dir) {
    throw new Error(
      'TEST_CERT_DIR is not set: run the tests through `node scripts/test-ca.js npx jest ...`',
    );
  }
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.crt')),
    key: readFileSync(join(dir, 'server.key')),
    cert: readFileSync(join(dir, 'server.crt')),
  };
}

/** A self-signed certificate for `commonName` and 127.0.0.1 that nothing trusts, made with openssl. */
export function generateSelfSignedCertificate(commonName = 'localhost'): {
  key: string;
  cert: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-selfsigned-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-addext',
        `subjectAltName=DNS:${commonName},IP:127.0.0.1`,
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function replyError(reply: SmtpReply): Error & { responseCode: number } {
  const message = Array.isArray(reply.message) ? reply.message.join(' ') : reply.message;
  return Object.assign(new Error(message), { responseCode: reply.code });
}

function sessionUser(session: SMTPServerSession): string | undefined {
  const user: unknown = session.user;
  return typeof user === 'string' ? user : undefined;
}

/**
 * A real SMTP server in this process on 127.0.0.1 and a random port, for tests that need to see
 * what a client really does: implicit TLS, STARTTLS (offered, hidden or absent), AUTH, refusals,
 * a slow greeting. Every accepted message is parsed and kept in `received`.
 */
export class SmtpTestServer {
  readonly host = '127.0.0.1';
  readonly received: ReceivedMail[] = [];
  /** Every login attempt, without the password. */
  readonly authAttempts: Array<Omit<AuthAttempt, 'password'> & { accepted: boolean }> = [];
  private readonly server: SMTPServer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Array<() => void> = [];
  private portNumber = 0;

  private constructor(private readonly options: SmtpTestServerOptions) {
    const certs =
      options.key && options.cert ? { key: options.key, cert: options.cert } : testCertificates();
    this.server = new SMTPServer({
      secure: options.secure ?? false,
      key: certs.key,
      cert: certs.cert,
      hideSTARTTLS: options.hideSTARTTLS ?? false,
      disabledCommands: [
        ...(options.disableSTARTTLS ? ['STARTTLS'] : []),
        ...(options.authMethods?.length === 0 ? ['AUTH'] : []),
      ],
      authMethods: options.authMethods?.length ? options.authMethods : ['PLAIN', 'LOGIN'],
      authOptional: !options.authRequired,
      // Replies go out exactly as the handlers write them (Gmail-like `534 5.7.9 ...`).
      hideENHANCEDSTATUSCODES: true,
      disableReverseLookup: true,
      logger: false,
      size: options.size,
      closeTimeout: 200,
      onConnect: (_session, callback) => this.handleConnect(callback),
      onAuth: (auth, _session, callback) => this.handleAuth(auth, callback),
      onMailFrom: (address, _session, callback) =>
        this.handleAddress(options.onMailFrom, address, callback),
      onRcptTo: (address, _session, callback) =>
        this.handleAddress(options.onRcptTo, address, callback),
      onData: (stream, session, callback) => this.handleData(stream, session, callback),
    });
    // Clients that hang up mid-handshake raise errors on the server; tests read outcomes on the client side.
    this.server.on('error', () => undefined);
  }

  get port(): number {
    return this.portNumber;
  }

  static async start(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
    const instance = new SmtpTestServer(options);
    await new Promise<void>((resolve, reject) => {
      instance.server.server.once('error', reject);
      instance.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    instance.portNumber = (instance.server.server.address() as AddressInfo).port;
    return instance;
  }

  /** Resolves once `count` messages have arrived (they are parsed before the client gets its 250). */
  async waitForMessages(count: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`Expected ${count} messages, received ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /** Forgets received messages and login attempts, for a server shared across tests. */
  reset(): void {
    this.received.length = 0;
    this.authAttempts.length = 0;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const connection of this.server.connections) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handleConnect(callback: (err?: Error | null) => void): void {
    if (!this.options.greetingDelayMs) return callback();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, this.options.greetingDelayMs);
    this.timers.add(timer);
  }

  private handleAuth(
    auth: SMTPServerAuthentication,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
  ): void {
    const attempt: AuthAttempt = {
      method: auth.method,
      username: auth.username ?? '',
      password: auth.password ?? '',
      accessToken: auth.accessToken,
    };
    const decide = async (): Promise<SmtpHandlerResult> => {
      if (this.options.onAuth) return this.options.onAuth(attempt);
      const users = this.options.users;
      if (users && users[attempt.username] !== attempt.password) {
        return { code: 535, message: '5.7.8 Authentication credentials invalid' };
      }
      return undefined;
    };
    decide().then(
      (reply) => {
        this.authAttempts.push({
          method: attempt.method,
          username: attempt.username,
          accepted: !reply,
        });
        if (reply?.data) callback(null, { data: reply.data });
        // smtp-server sends an array as the lines of a multi-line reply; its types say string.
        else if (reply)
          callback(null, { responseCode: reply.code, message: reply.message as string });
        else callback(null, { user: attempt.username });
      },
      (err: Error) => callback(err),
    );
  }

  private handleAddress(
    handler: SmtpTestServerOptions['onRcptTo'],
    address: SMTPServerAddress,
    callback: (err?: Error | null) => void,
  ): void {
    if (!handler) return callback();
    Promise.resolve(handler(address.address)).then(
      (reply) => callback(reply ? replyError(reply) : undefined),
      (err: Error) => callback(err),
    );
  }

  private handleData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ): void {
    // The bytes as they came, for checks that need them (a DKIM signature).
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    simpleParser(stream).then(
      (parsed) => {
        const envelope: ReceivedEnvelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: sessionUser(session),
          secure: session.secure,
        };
        this.received.push(
          Object.assign(parsed, {
            envelope,
            ehlo: session.hostNameAppearsAs,
            raw: Buffer.concat(chunks),
          }),
        );
        this.notify();
        callback(null, 'Message queued as test');
      },
      (err: Error) => callback(err),
    );
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
