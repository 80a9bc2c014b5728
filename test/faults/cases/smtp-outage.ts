import { randomBytes } from 'node:crypto';
import { SmtpTestServer, type ReceivedMail } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { statusLine } from '../support/db';
import { deliveries } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

const BEFORE = 100;
const DURING = 100;
const OUTAGE_MS = 20_000;
const GREYLISTED = 50;

/** Case 2: the program's SMTP server is down for 20 s, then back; and a server that answers 451 first. */
export function smtpOutage(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  let cluster: Cluster;
  let api: Api;
  const sinks: SmtpTestServer[] = [];

  beforeAll(async () => {
    cluster = await Cluster.start(suite.run, { name: 'smtp-outage' });
    api = new Api(cluster.api.baseUrl, suite.run);
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all(sinks.map((s) => s.stop()));
  });

  async function program(name: string, sink: SmtpTestServer): Promise<ProgramKeys> {
    const p = await api.createProgram(name);
    await api.connectSmtp(p, sink.port, password);
    await api.emailRule(p);
    return p;
  }

  it('delivers everything once the server is back after 20 s down, marking nothing failed', async () => {
    const first = await SmtpTestServer.start({ users: { [SMTP_USER]: password } });
    sinks.push(first);
    const port = first.port;
    const p = await program('SMTP outage', first);
    const post = (prefix: string, n: number) =>
      pool(
        Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
        8,
        async (id) => (await api.post('/v1/events', p.secretKey, eventBody('signup', id))).status,
      );

    const before = await post('outage-before', BEFORE);
    await waitFor('some emails delivered', async () => first.received.length >= 20, 30_000, 10);
    // The server goes away mid-stream: open sessions are dropped, new connections refused.
    const inFlight = (await suite.db.messageStatuses(p.id)).sending ?? 0;
    await first.stop();
    const downAt = Date.now();
    const atStop = first.received.length;
    const during = await post('outage-during', DURING);
    const maxAttempts = await waitFor(
      'retries while the server is down',
      async () => {
        if (Date.now() - downAt < OUTAGE_MS) return false;
        const [row] = await suite.db.rows<{ max: number }>(
          `SELECT max(attempts) AS max FROM messages WHERE "programId" = $1 AND status <> 'sent'`,
          [p.id],
        );
        return row.max ?? 0;
      },
      OUTAGE_MS + 10_000,
      500,
    );
    const whileDown = await suite.db.messageStatuses(p.id);
    const back = await SmtpTestServer.start({ users: { [SMTP_USER]: password }, port });
    sinks.push(back);
    const upAt = Date.now();

    const total = BEFORE + DURING;
    await waitFor(
      'every message sent',
      async () => (await suite.db.messageStatuses(p.id)).sent === total,
      90_000,
      500,
    );
    const doneAt = Date.now();
    await sleep(1000);
    const mails: ReceivedMail[] = [...first.received, ...back.received];
    const d = deliveries(mails);
    const messages = await suite.db.messageStatuses(p.id);
    const integration = await api.get('/v1/integrations/smtp', p.secretKey);
    suite.run.report.line(
      '2 SMTP down 20 s',
      `${total} emails (${BEFORE} before, ${DURING} posted while down), server stopped at ${atStop} received (${inFlight} being sent) and down ${seconds(upAt - downAt)}; ` +
        `while down: ${statusLine(whileDown)}, up to ${maxAttempts} attempts per message; all delivered ${seconds(doneAt - upAt)} after it came back; ` +
        `duplicates ${d.duplicates.length}; failed ${messages.failed ?? 0}; integration ${integration.body.status}`,
    );
    expect([...before, ...during].filter((s) => s !== 202)).toEqual([]);
    expect(maxAttempts).toBeGreaterThan(1);
    expect(messages).toEqual({ sent: total });
    expect(d.unique).toBe(total);
    // A message the server took just as it went down may come again; no more than were being sent.
    expect(d.duplicates.length).toBeLessThanOrEqual(inFlight);
    expect(integration.body.status).toBe('connected');
  });

  it('delivers on retry when the server answers 451 first and 250 after', async () => {
    const seen = new Set<string>();
    let refusals = 0;
    const greylist = await SmtpTestServer.start({
      users: { [SMTP_USER]: password },
      onRcptTo: (address) => {
        // Connecting checks that the server takes a recipient (RCPT, then RSET; nothing is sent):
        // that probe is let through, so that the program connects and only its mail is greylisted.
        if (address === 'postmaster@example.com') return undefined;
        if (seen.has(address)) return undefined;
        seen.add(address);
        refusals++;
        return { code: 451, message: '4.7.1 Greylisted, try again later' };
      },
    });
    sinks.push(greylist);
    const p = await program('Greylisting server', greylist);
    const started = Date.now();
    const statuses = await pool(
      Array.from({ length: GREYLISTED }, (_, i) => `grey-${i}`),
      8,
      async (id) => (await api.post('/v1/events', p.secretKey, eventBody('signup', id))).status,
    );
    await waitFor(
      'every greylisted message sent',
      async () => (await suite.db.messageStatuses(p.id)).sent === GREYLISTED,
      60_000,
      500,
    );
    const rows = await suite.db.rows<{ attempts: number; attemptLog: string }>(
      `SELECT attempts, "attemptLog" FROM messages WHERE "programId" = $1`,
      [p.id],
    );
    const outcomes = rows.map((r) =>
      (JSON.parse(r.attemptLog) as Array<{ outcome: string }>).map((a) => a.outcome).join('>'),
    );
    const d = deliveries(greylist.received);
    suite.run.report.line(
      '2 SMTP 451 then 250',
      `${GREYLISTED} emails, ${refusals} answered 451 at RCPT, all sent in ${seconds(Date.now() - started)}; ` +
        `attempt logs: ${[...new Set(outcomes)].join(', ')}; delivered ${d.unique}, duplicates ${d.duplicates.length}`,
    );
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(refusals).toBe(GREYLISTED);
    expect(new Set(outcomes)).toEqual(new Set(['retry>sent']));
    expect(rows.every((r) => r.attempts === 2)).toBe(true);
    expect(d).toEqual({ total: GREYLISTED, unique: GREYLISTED, duplicates: [] });
  });
}
