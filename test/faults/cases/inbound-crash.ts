import { createServer } from 'node:net';
import { createTransport } from 'nodemailer';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster, FAST_RECOVERY } from '../support/app-process';
import { seconds, waitFor } from '../support/run';
import type { Suite } from '../support/suite';

const BOUNCES = 300;
const INBOUND_DOMAIN = 'in.faults.test';

const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

/** A DSN (RFC 3464) for one of the messages the sink received, to that message's return path. */
function dsn(recipient: string, messageId: string, n: number): string {
  return [
    'From: MAILER-DAEMON@mx.example.org',
    `Subject: Undelivered Mail Returned to Sender (${n})`,
    `Message-ID: <dsn-${n}@mx.example.org>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: <${messageId}>`,
    `To: ${recipient}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

/**
 * Case 10: the worker that runs the inbound listener is killed with SIGKILL while bounces
 * arrive. Every report it answered 250 was stored first, so none is lost: a replacement reads
 * them; the ones it never answered are sent again by the reporting MTA, as any MTA does.
 */
export function inboundCrash(suite: Suite): void {
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;
  let port: number;

  beforeAll(async () => {
    sink = await SmtpTestServer.start();
    port = await freePort();
    cluster = await Cluster.start(suite.run, {
      name: 'inbound',
      workers: 1,
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        INBOUND_DOMAIN,
        INBOUND_MESSAGES_PER_MINUTE: '1000000',
        // Only a worker runs the listener; this cluster has one at a time.
        INBOUND_SMTP_PORT: String(port),
      },
    });
    suite.cleanups.push(async () => {
      await cluster.stop();
      await sink.stop();
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Inbound crash');
    await api.emailRule(program);
  });

  it('loses no report it answered 250 for, and reads each once', async () => {
    const ids = Array.from({ length: BOUNCES }, (_, i) => `bounce-${i}`);
    await pool(ids, 16, (id) => api.post('/v1/events', program.secretKey, eventBody('signup', id)));
    await waitFor(
      'every email sent',
      async () => (await suite.db.messageStatuses(program.id)).sent === BOUNCES,
      120_000,
      500,
    );
    // What the reporting side knows of each message: its return path and Message-ID, as sent.
    const sent = (
      await suite.db.rows<{ returnPathTag: string; toEmail: string; messageId: string }>(
        `SELECT "returnPathTag", "toEmail", "messageId" FROM messages WHERE "programId" = $1`,
        [program.id],
      )
    ).map((m) => ({
      returnPath: `b-${m.returnPathTag}@${INBOUND_DOMAIN}`,
      recipient: m.toEmail,
      messageId: m.messageId.replace(/^<|>$/g, ''),
    }));
    // The sink parses what it took after its 250: every return path shows there too.
    const missing = () => {
      const atSink = new Set(sink.received.map((m) => m.envelope.mailFrom));
      return sent.filter((s) => !atSink.has(s.returnPath)).length;
    };
    await waitFor('every email at the sink', async () => missing() === 0, 60_000, 200);
    expect(new Set(sent.map((s) => s.returnPath)).size).toBe(BOUNCES);

    // The reporting MTA: each report until it is answered 250, as MTAs retry what was not.
    let accepted = 0;
    let refusedOrCut = 0;
    let killedAt = 0;
    let acceptedAtKill = 0;
    const victim = cluster.workers[0];
    const killing = (async () => {
      await waitFor(
        'a third of the reports answered 250',
        async () => accepted >= BOUNCES / 3,
        60_000,
        5,
      );
      await victim.kill();
      killedAt = Date.now();
      acceptedAtKill = accepted;
      await cluster.addWorker();
    })();
    await pool(sent, 8, async (s, i) => {
      for (;;) {
        try {
          const info = await createTransport({
            host: '127.0.0.1',
            port,
            secure: false,
            ignoreTLS: true,
            connectionTimeout: 2000,
          }).sendMail({
            envelope: { from: '', to: [s.returnPath] },
            raw: dsn(s.recipient, s.messageId, i),
          });
          if (/^250/.test(info.response)) {
            accepted++;
            return;
          }
        } catch {
          refusedOrCut++;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    await killing;
    expect(victim.exitedWith).toBe('signal SIGKILL');

    await waitFor(
      'every message bounced',
      async () => (await suite.db.messageStatuses(program.id)).bounced === BOUNCES,
      // A report the dead worker had claimed is read again once its claim expires.
      Number(FAST_RECOVERY.MESSAGE_CLAIM_MS) + 60_000,
      500,
    );
    const rows = await suite.db.rows<{ status: string; messageId: string | null }>(
      `SELECT status, "messageId" FROM inbound_messages WHERE "programId" = $1`,
      [program.id],
    );
    const unread = rows.filter((r) => r.status !== 'processed');
    expect(unread).toEqual([]);
    // A report sent again after a cut connection may be stored twice; it changes nothing twice.
    const matched = new Set(rows.map((r) => r.messageId));
    expect(matched.size).toBe(BOUNCES);
    const events = await suite.db.rows<{ n: string }>(
      `SELECT count(*) AS n FROM message_events e JOIN messages m ON m.id = e."messageId"
        WHERE m."programId" = $1 AND e.type = 'bounced'`,
      [program.id],
    );
    expect(Number(events[0].n)).toBe(BOUNCES);
    const suppressed = await suite.db.rows<{ n: string }>(
      `SELECT count(*) AS n FROM suppressions WHERE "programId" = $1`,
      [program.id],
    );
    expect(Number(suppressed[0].n)).toBe(BOUNCES);
    suite.run.report.line(
      '10 inbound worker SIGKILL',
      `${BOUNCES} DSNs to their return paths; listener's worker killed at ${acceptedAtKill}/${BOUNCES} answered 250 ` +
        `(${refusedOrCut} tries cut or refused while no listener ran, each sent again by the reporting side); ` +
        `${rows.length} reports stored, all read; ${BOUNCES} messages bounced, ${BOUNCES} suppressions, one bounce event each; ` +
        `replacement worker took ${seconds(Date.now() - killedAt)} from the kill to the last bounce`,
    );
  });
}
