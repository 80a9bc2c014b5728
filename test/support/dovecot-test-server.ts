import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

/**
 * A private Dovecot for tests that need mail to arrive the way it does in production: IMAP
 * (plaintext, on 127.0.0.1 and a free port) for reading, LMTP on a unix socket for an MTA to
 * deliver to, `dovecot-lda` for local delivery, the quota plugin and Pigeonhole Sieve (vacation,
 * reject). ImapTestServer (imap-test-server.ts) is the IMAP-only, TLS-first sibling; this one is
 * what PostfixTestServer delivers to. Needs Debian's dovecot-imapd, dovecot-lmtpd and dovecot-sieve.
 */
export interface DovecotUser {
  password?: string;
  /** Dovecot quota rule, e.g. `*:storage=1K`: deliveries beyond it are refused (5.2.2). */
  quota?: string;
  /** A Sieve script run at every delivery (LMTP and LDA), e.g. a `vacation` or a `reject`. */
  sieve?: string;
}

export interface DovecotTestServerOptions {
  /** Users by full address (`owner@acme.test`). */
  users: Record<string, DovecotUser>;
  /** The name Dovecot gives itself in Received lines and rejections. */
  hostname?: string;
  /** Where Sieve (vacation, reject) and LDA send the mail they write: `127.0.0.1:<port>` of an MTA. */
  submissionHost?: string;
  postmaster?: string;
}

export interface LdaResult {
  code: number | null;
  stderr: string;
}

const DOVECOT = 'dovecot';
const LDA = '/usr/lib/dovecot/dovecot-lda';
const LMTP = '/usr/lib/dovecot/lmtp';
const SIEVE_PLUGIN = '/usr/lib/dovecot/modules/lib90_sieve_plugin.so';
// The Debian package creates these; the master drops privileges to them when it runs as root.
const ROOT_INTERNAL_USER = 'dovecot';
const ROOT_LOGIN_USER = 'dovenull';
const ROOT_MAIL_UID = 65534;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(target: number | string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      typeof target === 'number'
        ? netConnect({ host: '127.0.0.1', port: target })
        : netConnect({ path: target });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class DovecotTestServer {
  readonly host = '127.0.0.1';
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly imapPort: number,
    private readonly options: DovecotTestServerOptions,
  ) {}

  /** What is missing from this machine for the server to start, or undefined. */
  static missing(): string | undefined {
    if (spawnSync(DOVECOT, ['--version'], { stdio: 'ignore' }).status !== 0) return 'dovecot-imapd';
    if (!existsSync(LMTP)) return 'dovecot-lmtpd';
    if (!existsSync(SIEVE_PLUGIN)) return 'dovecot-sieve';
    return undefined;
  }

  static async start(options: DovecotTestServerOptions): Promise<DovecotTestServer> {
    const missing = DovecotTestServer.missing();
    if (missing) throw new Error(`${missing} is not installed (apt-get install -y ${missing})`);
    let lastError: unknown;
    // The free port may be taken between the check and dovecot's bind; a few tries cover that.
    for (let attempt = 0; attempt < 5; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'dovecot-test-'));
      const server = new DovecotTestServer(dir, await freePort(), options);
      try {
        await server.launch();
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
      }
    }
    throw lastError;
  }

  /** The LMTP socket, for an MTA's `lmtp:unix:` transport. */
  get lmtpSocket(): string {
    return join(this.dir, 'run', 'lmtp');
  }

  get configPath(): string {
    return join(this.dir, 'dovecot.conf');
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** A logged-in IMAP client for `user`; the caller logs out. */
  async client(user: string): Promise<ImapFlow> {
    const client = new ImapFlow({
      host: this.host,
      port: this.imapPort,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: this.password(user) },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** The raw sources of every message in `user`'s INBOX, oldest first. */
  async inbox(user: string): Promise<Buffer[]> {
    const client = await this.client(user);
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const sources: Buffer[] = [];
        const status = await client.status('INBOX', { messages: true });
        if (!status.messages) return sources;
        for await (const message of client.fetch('1:*', { source: true })) {
          if (message.source) sources.push(message.source);
        }
        return sources;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  /** Polls `user`'s INBOX until a message matches, or fails after `timeoutMs` with the logs. */
  async waitForMessage(
    user: string,
    matches: (source: Buffer) => boolean,
    timeoutMs = 20000,
    extraLog: () => string = () => '',
  ): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.inbox(user)).find(matches);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching message reached ${user} in ${timeoutMs} ms\n${extraLog()}\n${this.log()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Delivers `raw` to `user` with dovecot-lda, as an MTA's `mailbox_command` would. */
  deliverWithLda(user: string, envelopeFrom: string, raw: Buffer): Promise<LdaResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(LDA, ['-c', this.configPath, '-d', user, '-f', envelopeFrom], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stderr }));
      child.stdin.end(raw);
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private password(user: string): string {
    return this.options.users[user]?.password ?? 'secret';
  }

  private async launch(): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const me = userInfo();
    const mailUid = asRoot ? ROOT_MAIL_UID : me.uid;
    const mailGid = asRoot ? ROOT_MAIL_UID : me.gid;
    const mailRoot = join(this.dir, 'mail');
    mkdirSync(join(this.dir, 'run'), { recursive: true });
    mkdirSync(mailRoot, { recursive: true });
    // Login, LMTP and mail processes run as other users when the master is root.
    chmodSync(this.dir, 0o755);

    const passwd: string[] = [];
    for (const [name, user] of Object.entries(this.options.users)) {
      const home = join(mailRoot, name);
      mkdirSync(home, { recursive: true });
      if (user.sieve) writeFileSync(join(home, '.dovecot.sieve'), user.sieve);
      if (asRoot) {
        chownSync(home, mailUid, mailGid);
        if (user.sieve) chownSync(join(home, '.dovecot.sieve'), mailUid, mailGid);
      }
      const extra = user.quota ? `userdb_quota_rule=${user.quota}` : '';
      passwd.push(`${name}:{PLAIN}${this.password(name)}:${mailUid}:${mailGid}::${home}::${extra}`);
    }
    if (asRoot) chownSync(mailRoot, mailUid, mailGid);
    writeFileSync(join(this.dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });

    const hostname = this.options.hostname ?? 'mail.acme.test';
    const config = [
      `base_dir = ${join(this.dir, 'run')}`,
      `state_dir = ${join(this.dir, 'run', 'state')}`,
      `log_path = ${join(this.dir, 'dovecot.log')}`,
      'protocols = imap lmtp',
      'listen = 127.0.0.1',
      `hostname = ${hostname}`,
      `postmaster_address = ${this.options.postmaster ?? `postmaster@${hostname.replace(/^mail\./, '')}`}`,
      ...(this.options.submissionHost ? [`submission_host = ${this.options.submissionHost}`] : []),
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      'auth_failure_delay = 0',
      `default_internal_user = ${asRoot ? ROOT_INTERNAL_USER : me.username}`,
      `default_login_user = ${asRoot ? ROOT_LOGIN_USER : me.username}`,
      'first_valid_uid = 1',
      // A full mailbox refuses the message for good (5.2.2) instead of asking to try again.
      'quota_full_tempfail = no',
      'mail_plugins = quota',
      'passdb {',
      '  driver = passwd-file',
      `  args = scheme=PLAIN username_format=%u ${join(this.dir, 'passwd')}`,
      '}',
      'userdb {',
      '  driver = passwd-file',
      `  args = username_format=%u ${join(this.dir, 'passwd')}`,
      '}',
      'mail_location = maildir:~/Maildir',
      'namespace inbox {',
      '  inbox = yes',
      '  separator = /',
      '}',
      'service imap-login {',
      '  inet_listener imap {',
      `    port = ${this.imapPort}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '  chroot =',
      '}',
      'service anvil {',
      '  chroot =',
      '}',
      // Postfix's lmtp client runs as the postfix user: the socket must be open to it.
      'service lmtp {',
      '  unix_listener lmtp {',
      '    mode = 0666',
      '  }',
      '}',
      'protocol lmtp {',
      '  mail_plugins = $mail_plugins sieve',
      '}',
      'protocol lda {',
      '  mail_plugins = $mail_plugins sieve',
      '}',
      'plugin {',
      '  quota = maildir:User quota',
      '  sieve = file:~/sieve;active=~/.dovecot.sieve',
      '}',
      '',
    ].join('\n');
    writeFileSync(this.configPath, config);

    const child = spawn(DOVECOT, ['-F', '-c', this.configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 15000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`dovecot exited at start: ${stderr}${this.log()}`);
      }
      if ((await canConnect(this.imapPort)) && (await canConnect(this.lmtpSocket))) return;
      if (Date.now() > deadline) {
        throw new Error(`dovecot did not listen in time: ${stderr}${this.log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
