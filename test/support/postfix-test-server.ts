import { spawnSync } from 'node:child_process';
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
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DovecotTestServer, freePort, type DovecotTestServerOptions } from './dovecot-test-server';

/**
 * A private Postfix for tests, started with `postfix -c <dir> start` from a configuration,
 * queue and data directory of its own in a temporary directory: it never reads or touches the
 * machine's /etc/postfix instance nor its queue, needs neither systemd nor syslog (it logs to
 * its own file), and listens for SMTP on 127.0.0.1 only. Mail for its domain is accepted at
 * SMTP time whether the user exists or not (`local_recipient_maps =`), then delivered over LMTP
 * to a DovecotTestServer, which refuses the unknown users: Postfix bounces them afterwards with
 * its own DSN, as a production MX that accepts first and delivers later does.
 *
 * Needs Debian's postfix package and root (the master runs as root and drops to `postfix`).
 */
export interface PostfixTestServerOptions {
  /** The LMTP unix socket local mail is delivered to (DovecotTestServer.lmtpSocket). */
  lmtpSocket: string;
  /** The domain this server is final destination for; default acme.test. */
  domain?: string;
  /** Its own name, in its Received lines and DSNs; default mail.<domain>. */
  hostname?: string;
  /** The SMTP port; default a free one. */
  port?: number;
  /** When set, local recipients not listed are refused at RCPT TO (550 5.1.1) instead. */
  knownRecipients?: string[];
  /** Next hops by domain, e.g. `{ 'remote.test': '[127.0.0.1]:9' }` for an unreachable one. */
  routes?: Record<string, string>;
  /** delay_warning_time, e.g. `1s`: deferred mail older than this earns a "delayed" DSN. */
  delayWarningTime?: string;
  /** maximal_queue_lifetime, e.g. `0`: deferred mail is returned at once, as failed (4.x.x). */
  maximalQueueLifetime?: string;
}

const POSTFIX = 'postfix';
const POSTFIX_USER = 'postfix';

function uidOf(user: string): number | undefined {
  const out = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) : undefined;
}

/** Resolves with the server's greeting once it answers with 220, or rejects after the deadline. */
function waitForGreeting(port: number, deadline: number): Promise<void> {
  const tryOnce = () =>
    new Promise<boolean>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      let data = '';
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(2000, () => done(false));
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString();
        if (data.includes('\n')) {
          socket.write('QUIT\r\n');
          done(data.startsWith('220'));
        }
      });
      socket.once('error', () => done(false));
    });
  return (async () => {
    for (;;) {
      if (await tryOnce()) return;
      if (Date.now() > deadline) throw new Error(`postfix did not greet on ${port} in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
}

export class PostfixTestServer {
  readonly host = '127.0.0.1';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** What is missing from this machine for the server to start, or undefined. */
  static missing(): string | undefined {
    if (!existsSync('/usr/sbin/postfix') || !existsSync('/usr/lib/postfix/sbin/master')) {
      return 'postfix (apt-get install -y postfix)';
    }
    if (uidOf(POSTFIX_USER) === undefined) return 'the postfix user (apt-get install -y postfix)';
    if (process.getuid?.() !== 0) return 'root: the Postfix master must start as root';
    return undefined;
  }

  static async start(options: PostfixTestServerOptions): Promise<PostfixTestServer> {
    const missing = PostfixTestServer.missing();
    if (missing) throw new Error(`cannot start a test Postfix: needs ${missing}`);
    let lastError: unknown;
    // A chosen free port may be taken before the master binds it: a few tries cover that,
    // unless the caller fixed the port (it told someone else about it).
    for (let attempt = 0; attempt < (options.port ? 1 : 5); attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'postfix-test-'));
      const server = new PostfixTestServer(dir, options.port ?? (await freePort()));
      try {
        await server.launch(options);
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
      }
    }
    throw lastError;
  }

  get configDir(): string {
    return join(this.dir, 'conf');
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'postfix.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    const pid = this.masterPid();
    if (pid !== undefined) {
      spawnSync(POSTFIX, ['-c', this.configDir, 'stop'], { stdio: 'ignore' });
      const deadline = Date.now() + 10000;
      while (this.alive(pid)) {
        if (Date.now() > deadline) {
          process.kill(pid, 'SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private masterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private async launch(options: PostfixTestServerOptions): Promise<void> {
    const domain = options.domain ?? 'acme.test';
    const hostname = options.hostname ?? `mail.${domain}`;
    const conf = this.configDir;
    const queue = join(this.dir, 'queue');
    const data = join(this.dir, 'data');
    for (const d of [conf, queue, data]) mkdirSync(d, { recursive: true });
    // Its daemons run as the postfix user and must reach the queue under this directory.
    chmodSync(this.dir, 0o755);
    chownSync(data, uidOf(POSTFIX_USER)!, -1);

    const maps: string[] = [];
    if (options.knownRecipients) {
      const file = join(conf, 'recipients');
      writeFileSync(file, options.knownRecipients.map((r) => `${r.toLowerCase()} ok\n`).join(''));
      maps.push(`local_recipient_maps = texthash:${file}`);
    } else {
      // Unknown users are accepted at SMTP time and bounced after the LMTP server refused them.
      maps.push('local_recipient_maps =');
    }
    if (options.routes && Object.keys(options.routes).length > 0) {
      const file = join(conf, 'transport');
      writeFileSync(
        file,
        Object.entries(options.routes)
          .map(([d, hop]) => `${d} smtp:${hop}\n`)
          .join(''),
      );
      maps.push(`transport_maps = texthash:${file}`);
    }

    const main = [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      `myhostname = ${hostname}`,
      `mydomain = ${domain}`,
      `myorigin = ${domain}`,
      `mydestination = ${domain}, localhost`,
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      ...maps,
      // Local mail goes to Dovecot over LMTP; no local(8), no /etc/aliases of the machine.
      `local_transport = lmtp:unix:${options.lmtpSocket}`,
      'alias_maps =',
      'alias_database =',
      'recipient_delimiter = +',
      // Postmaster notices of bounces, delays and failures go to postmaster@<domain>.
      'notify_classes = bounce, 2bounce, delay, resource, software',
      'bounce_notice_recipient = postmaster',
      '2bounce_notice_recipient = postmaster',
      'delay_notice_recipient = postmaster',
      'error_notice_recipient = postmaster',
      ...(options.delayWarningTime
        ? [
            `delay_warning_time = ${options.delayWarningTime}`,
            // Retry deferred mail every second so the warning is due at once.
            'queue_run_delay = 1s',
            'minimal_backoff_time = 1s',
            'maximal_backoff_time = 2s',
          ]
        : []),
      ...(options.maximalQueueLifetime !== undefined
        ? [
            `maximal_queue_lifetime = ${options.maximalQueueLifetime}`,
            `bounce_queue_lifetime = ${options.maximalQueueLifetime}`,
          ]
        : []),
      // Nothing here may reach the network: no DNS, no TLS, no reverse lookups of clients.
      'smtpd_peername_lookup = no',
      'smtp_dns_support_level = disabled',
      'lmtp_dns_support_level = disabled',
      'smtp_connect_timeout = 2s',
      'smtpd_tls_security_level = none',
      'smtp_tls_security_level = none',
      'lmtp_tls_security_level = none',
      'smtputf8_enable = no',
      'biff = no',
      // Its own log file instead of syslog (postlogd, below in master.cf).
      `maillog_file = ${join(this.dir, 'postfix.log')}`,
      `maillog_file_prefixes = ${this.dir}`,
      '',
    ].join('\n');
    writeFileSync(join(conf, 'main.cf'), main);

    // No chroot (Debian's default master.cf chroots into /var/spool/postfix, which is not ours).
    const master = [
      `127.0.0.1:${this.port} inet n - n - - smtpd`,
      'pickup    unix  n - n 60 1 pickup',
      'cleanup   unix  n - n - 0 cleanup',
      'qmgr      unix  n - n 300 1 qmgr',
      'rewrite   unix  - - n - - trivial-rewrite',
      'bounce    unix  - - n - 0 bounce',
      'defer     unix  - - n - 0 bounce',
      'trace     unix  - - n - 0 bounce',
      'verify    unix  - - n - 1 verify',
      'flush     unix  n - n 1000? 0 flush',
      'proxymap  unix  - - n - - proxymap',
      'proxywrite unix - - n - 1 proxymap',
      'smtp      unix  - - n - - smtp',
      'relay     unix  - - n - - smtp',
      'showq     unix  n - n - - showq',
      'error     unix  - - n - - error',
      'retry     unix  - - n - - error',
      'discard   unix  - - n - - discard',
      'lmtp      unix  - - n - - lmtp',
      'anvil     unix  - - n - 1 anvil',
      'scache    unix  - - n - 1 scache',
      'postlog   unix-dgram n - n - 1 postlogd',
      '',
    ].join('\n');
    writeFileSync(join(conf, 'master.cf'), master);

    const started = spawnSync(POSTFIX, ['-c', conf, 'start'], { encoding: 'utf8' });
    if (started.status !== 0) {
      // Postfix writes its start errors to syslog, or to stderr on a terminal only.
      const check = spawnSync('script', ['-qc', `${POSTFIX} -c ${conf} check`, '/dev/null'], {
        encoding: 'utf8',
      });
      throw new Error(
        `postfix -c ${conf} start failed (${started.status}): ${started.stderr}${check.stdout ?? ''}${this.log()}`,
      );
    }
    try {
      await waitForGreeting(this.port, Date.now() + 15000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.log()}`);
    }
  }
}

/** A private Postfix that delivers its domain's mail to a private Dovecot, which sends through it. */
export interface MailStack {
  postfix: PostfixTestServer;
  dovecot: DovecotTestServer;
  /** Both logs, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export async function startMailStack(
  dovecot: DovecotTestServerOptions,
  postfix: Omit<PostfixTestServerOptions, 'lmtpSocket' | 'port'> = {},
): Promise<MailStack> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Dovecot sends what Sieve and LDA write through Postfix, so it learns Postfix's port first.
    const port = await freePort();
    const d = await DovecotTestServer.start({ ...dovecot, submissionHost: `127.0.0.1:${port}` });
    try {
      const p = await PostfixTestServer.start({ ...postfix, port, lmtpSocket: d.lmtpSocket });
      return {
        postfix: p,
        dovecot: d,
        logs: () => `--- postfix ---\n${p.log()}\n--- dovecot ---\n${d.log()}`,
        stop: async () => {
          await p.stop();
          await d.stop();
        },
      };
    } catch (err) {
      lastError = err;
      await d.stop();
    }
  }
  throw lastError;
}
