import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
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
import { testCertificates } from './smtp-test-server';

export interface ImapTestUser {
  password: string;
  /** Mailboxes created for this user at start, besides INBOX. */
  mailboxes?: string[];
}

export interface ImapTestServerOptions {
  /** Logins by address; a string is the password of a user with no extra mailboxes. */
  users: Record<string, string | ImapTestUser>;
  /** Special-use flags by mailbox name, e.g. `{ Outgoing: '\\Sent' }`; shown for users who have that mailbox. */
  specialUse?: Record<string, string>;
  /** `ssl` (default): implicit TLS with the test CA's localhost certificate; `none`: plaintext. */
  security?: 'ssl' | 'none';
  /**
   * Also accept XOAUTH2 logins, checked by Dovecot's oauth2 passdb with token introspection
   * (RFC 7662) at this URL; the token's `email` must be the login.
   */
  oauth2?: { introspectionUrl: string };
}

export interface FoundMessage {
  mailbox: string;
  specialUse?: string;
  flags: string[];
  source: Buffer;
}

const DOVECOT = 'dovecot';
// The Debian package creates these; the master drops privileges to them when it runs as root.
const ROOT_INTERNAL_USER = 'dovecot';
const ROOT_LOGIN_USER = 'dovenull';
const ROOT_MAIL_UID = 65534;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/**
 * A private Dovecot IMAP server for tests, on 127.0.0.1 and a free port, with its own
 * configuration, users (a static passwd-file) and maildirs in a temporary directory.
 * Needs the `dovecot-imapd` package (Debian).
 */
export class ImapTestServer {
  readonly host = '127.0.0.1';
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    private readonly dir: string,
    readonly port: number,
    readonly security: 'ssl' | 'none',
    private readonly users: Record<string, ImapTestUser>,
  ) {}

  static available(): boolean {
    return spawnSync(DOVECOT, ['--version'], { stdio: 'ignore' }).status === 0;
  }

  static async start(options: ImapTestServerOptions): Promise<ImapTestServer> {
    if (!ImapTestServer.available()) {
      throw new Error(
        'dovecot is not installed: the IMAP tests need it (apt-get install -y dovecot-imapd)',
      );
    }
    const users = Object.fromEntries(
      Object.entries(options.users).map(([name, user]) => [
        name,
        typeof user === 'string' ? { password: user } : user,
      ]),
    );
    let lastError: unknown;
    // The free port may be taken between the check and dovecot's bind; a few tries cover that.
    for (let attempt = 0; attempt < 5; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'imap-test-'));
      const server = new ImapTestServer(dir, await freePort(), options.security ?? 'ssl', users);
      try {
        await server.launch(options);
        await server.createMailboxes();
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
      }
    }
    throw lastError;
  }

  /** A logged-in client for `user`; the caller logs out. */
  async client(user: string): Promise<ImapFlow> {
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: this.security === 'ssl',
      doSTARTTLS: this.security === 'ssl' ? undefined : false,
      auth: { user, pass: this.users[user].password },
      logger: false,
      disableAutoIdle: true,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Looks for a message by its Message-ID header in every mailbox of `user`. */
  async findMessage(user: string, messageId: string): Promise<FoundMessage | undefined> {
    const client = await this.client(user);
    try {
      for (const mailbox of await client.list()) {
        const lock = await client.getMailboxLock(mailbox.path);
        try {
          const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
          if (!uids || uids.length === 0) continue;
          const message = await client.fetchOne(
            String(uids[0]),
            { source: true, flags: true },
            { uid: true },
          );
          if (!message || !message.source) continue;
          return {
            mailbox: mailbox.path,
            specialUse: mailbox.specialUse,
            flags: [...(message.flags ?? [])],
            source: message.source,
          };
        } finally {
          lock.release();
        }
      }
      return undefined;
    } finally {
      await client.logout();
    }
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

  private log(): string {
    try {
      return readFileSync(join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private async launch(options: ImapTestServerOptions): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const me = userInfo();
    const mailUid = asRoot ? ROOT_MAIL_UID : me.uid;
    const mailGid = asRoot ? ROOT_MAIL_UID : me.gid;
    const mailRoot = join(this.dir, 'mail');
    mkdirSync(join(this.dir, 'run'), { recursive: true });
    mkdirSync(mailRoot, { recursive: true });
    // Login and mail processes run as other users when the master is root: they must reach their files.
    chmodSync(this.dir, 0o755);
    if (asRoot) chownSync(mailRoot, mailUid, mailGid);

    const passwd = Object.entries(this.users)
      .map(
        ([name, user]) =>
          `${name}:{PLAIN}${user.password}:${mailUid}:${mailGid}::${join(mailRoot, name)}`,
      )
      .join('\n');
    writeFileSync(join(this.dir, 'passwd'), `${passwd}\n`, { mode: 0o644 });

    const certs = testCertificates();
    const ssl = this.security === 'ssl';
    const specialUse = Object.entries(options.specialUse ?? {})
      .map(([name, flag]) => `  mailbox ${quote(name)} {\n    special_use = ${flag}\n  }`)
      .join('\n');
    const config = [
      `base_dir = ${join(this.dir, 'run')}`,
      `state_dir = ${join(this.dir, 'run', 'state')}`,
      `log_path = ${join(this.dir, 'dovecot.log')}`,
      'protocols = imap',
      'listen = 127.0.0.1',
      ssl ? 'ssl = required' : 'ssl = no',
      ...(ssl
        ? [
            `ssl_cert = <${join(certs.dir, 'server.crt')}`,
            `ssl_key = <${join(certs.dir, 'server.key')}`,
            'ssl_min_protocol = TLSv1.2',
          ]
        : []),
      `disable_plaintext_auth = ${ssl ? 'yes' : 'no'}`,
      `auth_mechanisms = plain login${options.oauth2 ? ' xoauth2' : ''}`,
      // Tests try wrong passwords on purpose; the default 2 s delay per failure only slows them.
      'auth_failure_delay = 0',
      `default_internal_user = ${asRoot ? ROOT_INTERNAL_USER : me.username}`,
      `default_login_user = ${asRoot ? ROOT_LOGIN_USER : me.username}`,
      'first_valid_uid = 1',
      'passdb {',
      '  driver = passwd-file',
      ...(options.oauth2 ? ['  mechanisms = plain login'] : []),
      `  args = scheme=PLAIN username_format=%u ${join(this.dir, 'passwd')}`,
      '}',
      ...(options.oauth2
        ? [
            'passdb {',
            '  driver = oauth2',
            '  mechanisms = xoauth2',
            `  args = ${join(this.dir, 'oauth2.conf')}`,
            '}',
          ]
        : []),
      'userdb {',
      '  driver = passwd-file',
      `  args = username_format=%u ${join(this.dir, 'passwd')}`,
      '}',
      'mail_location = maildir:~/Maildir',
      'namespace inbox {',
      '  inbox = yes',
      '  separator = /',
      specialUse,
      '}',
      'service imap-login {',
      '  inet_listener imap {',
      `    port = ${ssl ? 0 : this.port}`,
      '  }',
      '  inet_listener imaps {',
      `    port = ${ssl ? this.port : 0}`,
      '    ssl = yes',
      '  }',
      '  chroot =',
      '}',
      'service anvil {',
      '  chroot =',
      '}',
      '',
    ].join('\n');
    const configPath = join(this.dir, 'dovecot.conf');
    writeFileSync(configPath, config);
    if (options.oauth2) {
      writeFileSync(
        join(this.dir, 'oauth2.conf'),
        [
          'introspection_mode = post',
          `introspection_url = ${options.oauth2.introspectionUrl}`,
          'force_introspection = yes',
          'username_attribute = email',
          'active_attribute = active',
          'active_value = true',
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
    }

    const child = spawn(DOVECOT, ['-F', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 15000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`dovecot exited at start: ${stderr}${this.log()}`);
      }
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline)
        throw new Error(`dovecot did not listen on ${this.port} in time: ${stderr}${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async createMailboxes(): Promise<void> {
    for (const [name, user] of Object.entries(this.users)) {
      if (!user.mailboxes?.length) continue;
      const client = await this.client(name);
      try {
        for (const mailbox of user.mailboxes) await client.mailboxCreate(mailbox);
      } finally {
        await client.logout();
      }
    }
  }
}
