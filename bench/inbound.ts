import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { eventBody, type ApiClient } from './support/api';
import { withApp, type BenchContext, type RunningApp } from './support/app';
import type { Backend } from './support/backends';
import { freePort } from './support/child';
import { dsnReport, handOver } from './support/dsn-report';
import { procCpuSeconds } from './support/machine';
import { MessageCounts } from './support/message-counts';
import { connectSmtp, emailRule, postEvent } from './support/program-setup';
import { emptySection, type SectionResult } from './support/report';
import { ReturnPathSink, type SentMessage } from './support/return-path-sink';
import { fmt, mean, nowMs, sleep } from './support/stats';
import { ImapTestServer } from '../test/support/imap-test-server';

const INBOUND_DOMAIN = 'in.bench.example';
// The program's own From address (connectSmtp): its bounces land in this mailbox.
const MAILBOX_USER = 'rewards@bench.example';
const MAILBOX_PASSWORD = 'bench-Mailbox-Secret-4k2j';
const STAGING = 'Staging';
const EVENT_TYPE = 'bench.inbound';
const POLL_MS = 50;
// What the bounced emails say matters not here; a template of plain variables only, so that it
// does not depend on which helpers the templates offer.
const TEMPLATE = {
  key: 'bench-inbound',
  subject: 'Thanks for your activity at {{program.name}}',
  html: '<p>Hi {{default participant.firstName "there"}},</p><p>Thanks from the {{program.name}} team.</p>',
  text: 'Hi {{default participant.firstName "there"}},\n\nThanks from the {{program.name}} team.',
};
const STALL_MS = 60_000;

interface ParseRound {
  reportsPerSecond: number;
  cpuMsPerReport: number;
}

/** The baseline: mailparser's simpleParser alone over the reports, one after another. */
async function parseRound(reports: Buffer[]): Promise<ParseRound> {
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  for (const raw of reports) await simpleParser(raw);
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    reportsPerSecond: (reports.length / ms) * 1000,
    cpuMsPerReport: (cpu.user + cpu.system) / 1000 / reports.length,
  };
}

/** The test CA and localhost certificate the IMAP server presents, made once by scripts/test-ca.js. */
function testCertificates(rootDir: string): string {
  const res = spawnSync(process.execPath, ['scripts/test-ca.js'], {
    cwd: rootDir,
    encoding: 'utf8',
  });
  if (res.status !== 0)
    throw new Error(`scripts/test-ca.js failed: ${res.stderr || res.stdout || res.status}`);
  return join(rootDir, 'test', '.certs');
}

/** Polls `count` until it reaches `target`; rejects when it stays put for STALL_MS. */
async function waitForCount(
  what: string,
  count: () => Promise<number>,
  target: number,
  diagnose: () => Promise<string>,
  onProgress?: (n: number) => void,
): Promise<number> {
  let seen = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await count();
    if (n >= target) return nowMs();
    if (n !== seen) {
      seen = n;
      lastChange = Date.now();
      onProgress?.(n);
    } else if (Date.now() - lastChange > STALL_MS) {
      throw new Error(
        `${what} stalled at ${n} of ${target} (no change for ${STALL_MS} ms); ${await diagnose().catch((err: Error) => err.message)}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Counts a program's messages in `status` through the API, page by page: the service's own word. */
async function countByApi(api: ApiClient, status: string): Promise<number> {
  let total = 0;
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; nextCursor: string | null } = await api.call(
      'GET',
      `/v1/messages?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    total += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return total;
}

interface PathResult {
  label: string;
  path: 'listener' | 'imap';
  reportsPerSecond: number;
  cpuMsPerReport: number;
  baseline: ParseRound[];
}

/** A program whose one rule emails every participant of EVENT_TYPE; `smtpPort` gives it its own server. */
async function setUpProgram(app: RunningApp, name: string, smtpPort?: number) {
  const { program, api } = await app.newProgram({ name });
  if (smtpPort !== undefined) await connectSmtp(api, smtpPort);
  const { key, ...body } = TEMPLATE;
  await api.call('PUT', `/v1/templates/${key}/en`, body, [200, 201]);
  await api.call(
    'POST',
    '/v1/rules',
    emailRule('Bench: thank every participant', EVENT_TYPE, key),
    [201],
  );
  return { program, api };
}

export async function runInbound(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Inbound');
  const count = ctx.options.inboundReports;
  const connections = ctx.options.inboundConcurrency;
  const imapAvailable = ImapTestServer.available();
  const certDir = testCertificates(ctx.options.rootDir);
  // ImapTestServer reads its certificate from here, as under scripts/test-ca.js.
  process.env.TEST_CERT_DIR ??= certDir;
  if (!imapAvailable)
    section.problems.push(
      'dovecot is not installed (apt-get install -y dovecot-imapd): the IMAP path was not measured.',
    );
  section.notes.push(
    `Per configuration, one app (APP_ROLE=all: listener, mailbox reader and jobs in one process) with BUILTIN_SMTP_URL at an smtp-server sink in the bench process that keeps each message's envelope and header block, INBOUND_SMTP_PORT on a free port, INBOUND_DOMAIN=${INBOUND_DOMAIN}, INBOUND_MESSAGES_PER_MINUTE=1000000, INBOUND_MAILBOX_POLL_MS=250. Two programs with one rule each email ${count} participants (${count} events each, posted one at a time and untimed): one through the built-in sender (its return paths are \`b-<tag>@${INBOUND_DOMAIN}\`), one through its own SMTP integration to the same sink. The timed part starts once every message is \`sent\`.`,
    `Each report is a hard bounce (5.1.1) as Postfix writes one: multipart/report with a text part, message/delivery-status for the recipient, and the original's header block as the sink received it (Message-ID and X-Entity-Ref-ID included) in text/rfc822-headers. The end of each timing is read from the app's database (a COUNT of the program's \`bounced\` messages every ${POLL_MS} ms, read-only), and the count is checked afterwards through GET /v1/messages?status=bounced.`,
    `Baseline: \`simpleParser\` from mailparser in the bench process over the same ${count} raw reports, one after another, right before and right after each timed path (after one warm-up round); each ratio uses the mean of those two rounds, so drift on the shared machine falls on both sides. CPU per report is the service process's own (user + system from /proc) over the timed window; Dovecot, Postgres and Redis are not counted.`,
  );
  const results: PathResult[] = [];
  let warmedUp = false;

  for (const backend of backends) {
    if (backend.unavailable) continue;
    const sink = await ReturnPathSink.start();
    const imap = imapAvailable
      ? await ImapTestServer.start({
          users: { [MAILBOX_USER]: MAILBOX_PASSWORD },
        })
      : undefined;
    const listenerPort = await freePort();
    try {
      await withApp(
        ctx,
        backend,
        'inbound',
        section.problems,
        async (app) => {
          const counts = await MessageCounts.open(app.store);
          try {
            ctx.log(`inbound: ${backend.label}, sending ${count} + ${count} messages to bounce`);
            const viaListener = await setUpProgram(app, 'Inbound bench (return paths)');
            const viaMailbox = await setUpProgram(app, 'Inbound bench (own mailbox)', sink.port);
            const sendStart = nowMs();
            // One program at a time, one event at a time (untimed): posted 32 at a time, the
            // built-in sender's messages stopped part way on SQLite + in-process queue (some left
            // `sending`, the rest `queued`, with no job left to run them).
            for (const [p, prefix] of [
              [viaMailbox, 'imap'],
              [viaListener, 'lst'],
            ] as const) {
              for (let i = 0; i < count; i++)
                await postEvent(
                  p.api,
                  eventBody(EVENT_TYPE, `${prefix}-${i}`),
                  `inbound-${prefix}-${i}`,
                );
              // A report about a message not yet `sent` would find nothing to move to `bounced`.
              await waitForCount(
                `sent messages (${prefix})`,
                () => counts.messages(p.program.id, 'sent'),
                count,
                () => counts.messageStates(p.program.id),
              );
            }
            const sendSeconds = (nowMs() - sendStart) / 1000;

            // --- The listener: DSNs to each message's own return path.
            const sentByListener = sink.to('lst-');
            const badReturnPath = sentByListener.find(
              (m) =>
                !new RegExp(`^b-[a-z2-7]{20}@${INBOUND_DOMAIN.replace(/\./g, '\\.')}$`).test(
                  m.mailFrom,
                ),
            );
            if (sentByListener.length !== count || badReturnPath)
              throw new Error(
                `the sink holds ${sentByListener.length} messages of the built-in sender (expected ${count})${badReturnPath ? `, one from <${badReturnPath.mailFrom}>, not a return path` : ''}`,
              );
            const toListener = sentByListener.map((m, i) => ({
              to: m.mailFrom,
              raw: dsnReport(m, m.mailFrom, i),
            }));
            const listenerRaw = toListener.map((r) => r.raw);
            if (!warmedUp) {
              await parseRound(listenerRaw);
              warmedUp = true;
            }
            const before = await parseRound(listenerRaw);
            ctx.log(`  baseline: ${fmt(before.reportsPerSecond)} reports/s parsed`);
            let lastLog = 0;
            const progress = (what: string) => (n: number) => {
              if (Date.now() - lastLog > 5000) {
                lastLog = Date.now();
                ctx.log(`  ${n}/${count} ${what}`);
              }
            };
            const cpu0 = procCpuSeconds(app.server.pid);
            const t0 = nowMs();
            const [sent, bouncedAt] = await Promise.all([
              handOver(listenerPort, toListener, connections),
              waitForCount(
                'bounced messages (listener)',
                () => counts.messages(viaListener.program.id, 'bounced'),
                count,
                () => counts.inboundStates(),
                progress('bounced'),
              ),
            ]);
            const cpuMs = ((procCpuSeconds(app.server.pid) - cpu0) * 1000) / count;
            if (sent.failed || sent.deferred)
              section.problems.push(
                `${backend.label}, listener: ${sent.deferred} answers of 4xx (each report tried again after 1 s, up to 6 times) and ${sent.failed} reports refused for good; first answer: ${sent.firstError}.`,
              );
            const after = await parseRound(listenerRaw);
            const seconds = (bouncedAt - t0) / 1000;
            const acceptedSeconds = ((sent.lastAcceptedAt ?? NaN) - t0) / 1000;
            ctx.log(
              `  listener: ${fmt(count / seconds)} reports/s to bounced (${fmt(sent.accepted / acceptedSeconds)}/s answered 250), ${fmt(cpuMs)} CPU ms per report; baseline after ${fmt(after.reportsPerSecond)}/s`,
            );
            results.push({
              label: backend.label,
              path: 'listener',
              reportsPerSecond: count / seconds,
              cpuMsPerReport: cpuMs,
              baseline: [before, after],
            });
            section.notes.push(
              `Listener on ${backend.label}: ${count} reports of ~${fmt(mean(listenerRaw.map((r) => r.length)))} bytes handed over from the null sender over ${connections} pooled connections with Nagle off (${sent.deferred} answers of 4xx, tried again); the last answered 250 (stored) ${fmt(acceptedSeconds)} s (${fmt(sent.accepted / acceptedSeconds)} reports/s) and the last message \`bounced\` ${fmt(seconds)} s after the first was handed over. Baseline rounds before and after: ${fmt(before.reportsPerSecond)} and ${fmt(after.reportsPerSecond)} reports/s (${fmt(before.cpuMsPerReport)} and ${fmt(after.cpuMsPerReport)} CPU ms per report). Sending the ${2 * count} messages to bounce took ${fmt(sendSeconds)} s (untimed).`,
            );

            // --- The mailbox: the same kind of DSNs, arriving in the program's IMAP folder.
            if (imap) {
              const sentByProgram = sink.to('imap-');
              if (sentByProgram.length !== count)
                throw new Error(
                  `the sink holds ${sentByProgram.length} messages of the program's own server (expected ${count})`,
                );
              const toMailbox = sentByProgram.map((m: SentMessage, i) =>
                dsnReport(m, MAILBOX_USER, i),
              );
              const client = await imapClient(imap, certDir);
              try {
                await client.mailboxCreate(STAGING);
                const appendStart = nowMs();
                for (const raw of toMailbox) await client.append(STAGING, raw);
                const appendSeconds = (nowMs() - appendStart) / 1000;
                await viaMailbox.api.call(
                  'PUT',
                  '/v1/integrations/inbound-mailbox',
                  {
                    host: imap.host,
                    port: imap.port,
                    security: 'ssl',
                    username: MAILBOX_USER,
                    password: MAILBOX_PASSWORD,
                    read: 'bounces',
                  },
                  [200],
                );
                // Read once to the end: its cursor is set, so what is moved in next is new mail.
                const readyUntil = Date.now() + 30_000;
                for (;;) {
                  const m = await viaMailbox.api.call<{
                    reading: boolean;
                    lastCheckedAt: string | null;
                    lastError: { code: string; message: string } | null;
                  }>('GET', '/v1/integrations/inbound-mailbox');
                  if (m.reading && m.lastCheckedAt) break;
                  if (Date.now() > readyUntil)
                    throw new Error(
                      `the mailbox was not being read after 30 s${m.lastError ? ` (${m.lastError.code}: ${m.lastError.message})` : ''}`,
                    );
                  await sleep(100);
                }
                const before = await parseRound(toMailbox);
                ctx.log(`  baseline: ${fmt(before.reportsPerSecond)} reports/s parsed`);
                await client.mailboxOpen(STAGING);
                const cpu0 = procCpuSeconds(app.server.pid);
                const t0 = nowMs();
                await client.messageMove('1:*', 'INBOX');
                const moved = nowMs();
                let storedAt: number | undefined;
                const stored = waitForCount(
                  'stored reports (mailbox)',
                  () => counts.inbound(viaMailbox.program.id),
                  count,
                  () => counts.inboundStates(),
                ).then(
                  (t) => (storedAt = t),
                  () => undefined,
                );
                const bouncedAt = await waitForCount(
                  'bounced messages (mailbox)',
                  () => counts.messages(viaMailbox.program.id, 'bounced'),
                  count,
                  () => counts.inboundStates(),
                  progress('bounced'),
                );
                await stored;
                const cpuMs = ((procCpuSeconds(app.server.pid) - cpu0) * 1000) / count;
                const after = await parseRound(toMailbox);
                const seconds = (bouncedAt - t0) / 1000;
                const storedSeconds = ((storedAt ?? NaN) - t0) / 1000;
                ctx.log(
                  `  mailbox: ${fmt(count / seconds)} reports/s to bounced (${fmt(count / storedSeconds)}/s taken in), ${fmt(cpuMs)} CPU ms per report; baseline after ${fmt(after.reportsPerSecond)}/s`,
                );
                results.push({
                  label: backend.label,
                  path: 'imap',
                  reportsPerSecond: count / seconds,
                  cpuMsPerReport: cpuMs,
                  baseline: [before, after],
                });
                section.notes.push(
                  `Mailbox on ${backend.label}: Dovecot ${imapVersion()} (IMAP over implicit TLS, maildir) from test/support/imap-test-server.ts; PUT /v1/integrations/inbound-mailbox with \`read: bounces\`, then, once it had been read to the end, ${count} reports (APPENDed beforehand to another folder in ${fmt(appendSeconds)} s) moved into INBOX with one MOVE (${fmt((moved - t0) / 1000)} s). The last report was stored ${fmt(storedSeconds)} s (${fmt(count / storedSeconds)} reports/s) and the last message \`bounced\` ${fmt(seconds)} s after the MOVE began. Baseline rounds before and after: ${fmt(before.reportsPerSecond)} and ${fmt(after.reportsPerSecond)} reports/s.`,
                );
              } finally {
                await client.logout().catch(() => undefined);
              }
            }

            // The service's own word on what it marked, not only the database's.
            for (const [name, p, expected] of [
              ['return paths', viaListener, count],
              ['own mailbox', viaMailbox, imap ? count : 0],
            ] as const) {
              const n = await countByApi(p.api, 'bounced');
              if (n !== expected)
                section.problems.push(
                  `${backend.label}, ${name}: GET /v1/messages?status=bounced lists ${n} messages, expected ${expected}.`,
                );
            }
          } finally {
            await counts.dispose();
          }
        },
        {
          BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
          INBOUND_SMTP_PORT: String(listenerPort),
          INBOUND_DOMAIN,
          INBOUND_MESSAGES_PER_MINUTE: '1000000',
          INBOUND_MAILBOX_POLL_MS: '250',
          // The app trusts the test CA that signed Dovecot's certificate, as under scripts/test-ca.js.
          NODE_EXTRA_CA_CERTS: join(certDir, 'ca.crt'),
        },
      );
    } finally {
      await imap?.stop();
      await sink.stop();
    }
  }

  for (const r of results) {
    const baseRate = mean(r.baseline.map((b) => b.reportsPerSecond));
    const baseCpu = mean(r.baseline.map((b) => b.cpuMsPerReport));
    const how =
      r.path === 'listener'
        ? 'DSNs over SMTP to the listener → bounced'
        : 'DSNs in an IMAP mailbox → bounced';
    section.figures.push(
      {
        measurement: 'Inbound',
        figure: how,
        configuration: r.label,
        unit: 'reports/s',
        project: r.reportsPerSecond,
        baseline: baseRate,
        baselineLabel:
          'mailparser simpleParser alone, same reports (mean of the rounds before and after)',
        better: 'higher',
      },
      {
        measurement: 'Inbound',
        figure: `CPU time per report (${r.path === 'listener' ? 'listener' : 'mailbox'}, the service process)`,
        configuration: r.label,
        unit: 'ms',
        project: r.cpuMsPerReport,
        baseline: baseCpu,
        baselineLabel: 'simpleParser alone, same reports',
        better: 'lower',
      },
    );
  }
  return section;
}

/**
 * A logged-in client of the test Dovecot that trusts the test CA (ImapTestServer's own client
 * relies on NODE_EXTRA_CA_CERTS, which the bench process does not run with).
 */
async function imapClient(imap: ImapTestServer, certDir: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: true,
    tls: { ca: readFileSync(join(certDir, 'ca.crt')) },
    auth: { user: MAILBOX_USER, pass: MAILBOX_PASSWORD },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function imapVersion(): string {
  const res = spawnSync('dovecot', ['--version'], { encoding: 'utf8' });
  return (res.stdout ?? '').trim().split(' ')[0] || 'unknown';
}
