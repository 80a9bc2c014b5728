/**
 * Captures the fixtures of src/inbound/reports/__fixtures__ from the real servers that produce
 * them: a private Postfix and Dovecot (postfix-test-server.ts), and Exim run from Debian's
 * packages unpacked into a temporary directory. Every fixture is the message exactly as the
 * sender's IMAP INBOX holds it. Run as root, from the repository:
 *
 *   npx ts-node --transpile-only test/support/capture-inbound-fixtures.ts [name ...]
 *
 * Needs postfix, dovecot-imapd, dovecot-lmtpd and dovecot-sieve; the Exim capture also needs
 * libidn12 (exim4's library; exim4 itself conflicts with postfix as an installed package) and
 * unshare(1), which gives Exim a private view of /etc/passwd naming its compiled-in user.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import { freePort } from './dovecot-test-server';
import { PostfixTestServer, startMailStack, type MailStack } from './postfix-test-server';

const OUT = resolve(__dirname, '../../src/inbound/reports/__fixtures__');
const OWNER = 'owner@acme.test';

/** The users of the capture stack: Sieve and quota as the fixtures need them. */
export const CAPTURE_USERS = {
  [OWNER]: {},
  'postmaster@acme.test': {},
  'full@acme.test': { quota: '*:storage=1K' },
  'away@acme.test': {
    sieve:
      'require ["vacation"];\n' +
      'vacation :days 1 :subject "Out of Office: back on Monday"\n' +
      '  "I am out of the office until Monday and will answer your message then.";\n',
  },
  'picky@acme.test': {
    sieve: 'require ["reject"];\nreject "This mailbox does not accept messages from you.";\n',
  },
};

export interface SentProbe {
  messageId: string;
  entityRefId: string;
  response: string;
}

/** Sends one message like the service's (a Message-ID and an X-Entity-Ref-ID) through `port`. */
export async function sendProbe(
  port: number,
  to: string,
  tag: string,
  entityRefId: string,
  body = 'Your friend joined: you earned a reward.',
): Promise<SentProbe> {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const messageId = `<${tag}.${Date.now()}@acme.test>`;
  const info = await transport.sendMail({
    from: OWNER,
    to,
    subject: `Your referral reward (${tag})`,
    text: body,
    messageId,
    // No Auto-Submitted here: RFC 3834 responders (Sieve vacation) stay silent for it.
    headers: { 'X-Entity-Ref-ID': entityRefId },
  });
  transport.close();
  return { messageId, entityRefId, response: info.response };
}

/** Waits for the message in OWNER's INBOX that mentions `needle` (the probe's Message-ID). */
export function awaitReport(stack: MailStack, needle: string, timeoutMs = 30000): Promise<Buffer> {
  return stack.dovecot.waitForMessage(
    OWNER,
    (source) => source.includes(needle) && !source.toString('latin1').startsWith('From: owner'),
    timeoutMs,
    () => stack.logs(),
  );
}

function save(name: string, source: Buffer): void {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, name), source);
  console.log(`captured ${name} (${source.length} bytes)`);
}

const ids = (n: number) => `6f1c2a9e-3b7d-4c5e-9a10-${String(n).padStart(12, '0')}`;

async function captureStack(wanted: (name: string) => boolean): Promise<void> {
  const unreachable = await freePort();
  const stack = await startMailStack(
    { users: CAPTURE_USERS },
    {
      delayWarningTime: '1s',
      routes: { 'remote.test': `[127.0.0.1]:${unreachable}` },
    },
  );
  try {
    if (wanted('postfix-unknown-user.eml')) {
      const p = await sendProbe(stack.postfix.port, 'ghost@acme.test', 'unknown-user', ids(1));
      save('postfix-unknown-user.eml', await awaitReport(stack, p.messageId));
    }
    if (wanted('postfix-delayed.eml')) {
      const p = await sendProbe(stack.postfix.port, 'someone@remote.test', 'delayed', ids(2));
      save('postfix-delayed.eml', await awaitReport(stack, p.messageId));
    }
    if (wanted('postfix-lmtp-quota.eml')) {
      const p = await sendProbe(
        stack.postfix.port,
        'full@acme.test',
        'lmtp-quota',
        ids(3),
        'A reward statement. '.repeat(200),
      );
      save('postfix-lmtp-quota.eml', await awaitReport(stack, p.messageId));
    }
    if (wanted('dovecot-lda-quota.eml')) {
      const messageId = `<lda-quota.${Date.now()}@acme.test>`;
      const raw = Buffer.from(
        [
          `From: ${OWNER}`,
          'To: full@acme.test',
          'Subject: Your referral reward (lda-quota)',
          `Message-ID: ${messageId}`,
          `X-Entity-Ref-ID: ${ids(4)}`,
          `Date: ${new Date().toUTCString()}`,
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'A reward statement. '.repeat(200),
          '',
        ].join('\r\n'),
      );
      const lda = await stack.dovecot.deliverWithLda('full@acme.test', OWNER, raw);
      if (lda.code !== 0) throw new Error(`dovecot-lda exited ${lda.code}: ${lda.stderr}`);
      save('dovecot-lda-quota.eml', await awaitReport(stack, messageId));
    }
    if (wanted('dovecot-sieve-reject.eml')) {
      const p = await sendProbe(stack.postfix.port, 'picky@acme.test', 'sieve-reject', ids(5));
      save('dovecot-sieve-reject.eml', await awaitReport(stack, p.messageId));
    }
    if (wanted('dovecot-sieve-vacation.eml')) {
      const p = await sendProbe(stack.postfix.port, 'away@acme.test', 'vacation', ids(6));
      save('dovecot-sieve-vacation.eml', await awaitReport(stack, p.messageId));
    }
    if (wanted('exim-rcpt-unknown.eml')) await captureExim(stack, ids(7));
  } finally {
    await stack.stop();
  }
}

/** Postfix that gives up at once on an unreachable next hop: failed, with a 4.4.1 status. */
async function captureExpired(): Promise<void> {
  const unreachable = await freePort();
  const stack = await startMailStack(
    { users: CAPTURE_USERS },
    {
      maximalQueueLifetime: '0',
      routes: { 'remote.test': `[127.0.0.1]:${unreachable}` },
    },
  );
  try {
    const p = await sendProbe(stack.postfix.port, 'someone@remote.test', 'expired', ids(8));
    save('postfix-expired-transient.eml', await awaitReport(stack, p.messageId));
  } finally {
    await stack.stop();
  }
}

/**
 * Exim 4 from Debian's exim4-daemon-light, unpacked (not installed: it conflicts with postfix),
 * submits a message for ghost@acme.test to a second private Postfix that refuses unknown users
 * at RCPT TO; Exim returns it with its own bounce, which it sends to owner@acme.test through
 * that Postfix into Dovecot.
 */
async function captureExim(stack: MailStack, entityRefId: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'exim-capture-'));
  // Exim drops to its own user, which must reach its spool and log below this directory.
  chmodSync(dir, 0o755);
  const rejecting = await PostfixTestServer.start({
    lmtpSocket: stack.dovecot.lmtpSocket,
    knownRecipients: Object.keys(CAPTURE_USERS),
  });
  try {
    const run = (cmd: string, args: string[], input?: Buffer) => {
      const out = spawnSync(cmd, args, { cwd: dir, input, encoding: 'utf8' });
      if (out.status !== 0) {
        throw new Error(`${cmd} ${args.join(' ')}: ${out.status} ${out.stderr}${out.stdout}`);
      }
      return out.stdout;
    };
    run('apt-get', ['download', 'exim4-daemon-light', 'exim4-base', 'exim4-config']);
    const root = join(dir, 'root');
    for (const deb of run('sh', ['-c', 'ls *.deb']).split('\n').filter(Boolean)) {
      run('dpkg-deb', ['-x', deb, root]);
    }
    const exim = join(root, 'usr/sbin/exim4');
    const missingLibs = run('ldd', [exim])
      .split('\n')
      .filter((l) => l.includes('not found'));
    if (missingLibs.length > 0) {
      throw new Error(`exim4 lacks libraries (apt-get install them): ${missingLibs.join('; ')}`);
    }
    // The binary looks up its compiled-in user by name; a private passwd names it for Exim only.
    const nobody = 65534;
    writeFileSync(
      join(dir, 'passwd'),
      `${readFileSync('/etc/passwd', 'utf8')}Debian-exim:x:${nobody}:${nobody}:Exim:/nonexistent:/usr/sbin/nologin\n`,
    );
    writeFileSync(
      join(dir, 'group'),
      `${readFileSync('/etc/group', 'utf8')}Debian-exim:x:${nobody}:\n`,
    );
    for (const d of ['spool', 'log']) {
      mkdirSync(join(dir, d));
      chownSync(join(dir, d), nobody, nobody);
    }
    const config = join(dir, 'exim.conf');
    writeFileSync(
      config,
      [
        `exim_path = ${exim}`,
        'keep_environment =',
        'primary_hostname = mx.exim.test',
        `spool_directory = ${join(dir, 'spool')}`,
        `log_file_path = ${join(dir, 'log')}/%slog`,
        'never_users = root',
        'host_lookup =',
        'rfc1413_hosts =',
        'begin routers',
        'smarthost:',
        '  driver = manualroute',
        '  transport = remote_smtp',
        `  route_list = * 127.0.0.1::${rejecting.port} byname`,
        '  self = send',
        'begin transports',
        'remote_smtp:',
        '  driver = smtp',
        '  hosts_avoid_tls = *',
        '  allow_localhost',
        'begin retry',
        '* * F,1m,1m',
        '',
      ].join('\n'),
    );
    const messageId = `<exim.${Date.now()}@exim.test>`;
    const message = Buffer.from(
      [
        `From: ${OWNER}`,
        'To: ghost@acme.test',
        'Subject: Your referral reward (exim)',
        `Message-ID: ${messageId}`,
        `X-Entity-Ref-ID: ${entityRefId}`,
        `Date: ${new Date().toUTCString()}`,
        '',
        'Your friend joined: you earned a reward.',
        '',
      ].join('\n'),
    );
    run(
      'unshare',
      [
        '-m',
        'sh',
        '-c',
        `mount --bind ${dir}/passwd /etc/passwd && mount --bind ${dir}/group /etc/group && ` +
          `exec ${exim} -C ${config} -odi -f ${OWNER} ghost@acme.test`,
      ],
      message,
    );
    save('exim-rcpt-unknown.eml', await awaitReport(stack, messageId));
  } finally {
    await rejecting.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const wanted = (name: string) => names.length === 0 || names.includes(name);
  await captureStack(wanted);
  if (wanted('postfix-expired-transient.eml')) await captureExpired();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
