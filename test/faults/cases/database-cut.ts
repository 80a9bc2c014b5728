import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { deliveries, TcpProxy } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';
import { CLAIM_MS } from './worker-crash';

const RATE_PER_S = 25;
const RUN_MS = 14_000;
const CUT_AT_MS = 4000;
const CUT_MS = 5000;

interface Sent {
  id: string;
  at: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
}

/** Case 4: the connection to Postgres is cut for a few seconds under steady traffic. */
export function databaseCut(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  let proxy: TcpProxy;
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;

  beforeAll(async () => {
    const db = new URL(suite.run.databaseUrl);
    proxy = await TcpProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    sink = await SmtpTestServer.start({ users: { [SMTP_USER]: password } });
    // Every process reaches the database through the proxy: the API answers, the workers retry.
    cluster = await Cluster.start(suite.run, {
      name: 'db-cut',
      databaseUrl: proxy.via(suite.run.databaseUrl),
    });
    suite.cleanups.push(async () => {
      await cluster.stop();
      await proxy.stop();
      await sink.stop();
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Database cut');
    await api.connectSmtp(program, sink.port, password);
    await api.emailRule(program);
  });

  it('answers 503 SERVICE_UNAVAILABLE while the database is away, recovers, and loses nothing it accepted', async () => {
    const started = Date.now();
    const sent: Sent[] = [];
    const healthDuringCut: number[] = [];
    let cutAt = 0;
    let restoredAt = 0;
    const outage = (async () => {
      await sleep(CUT_AT_MS);
      await proxy.cut();
      cutAt = Date.now();
      await sleep(1000);
      healthDuringCut.push(await cluster.api.health());
      await sleep(CUT_MS - 1000);
      await proxy.restore();
      restoredAt = Date.now();
    })();

    // A steady stream at a fixed rate, each request on its own: the cut meets requests at every stage.
    const inflight: Array<Promise<void>> = [];
    for (let i = 0; Date.now() - started < RUN_MS; i++) {
      const id = `dbcut-${i}`;
      inflight.push(
        api
          .post('/v1/events', program.secretKey, eventBody('signup', id))
          .then(
            (res) =>
              void sent.push({
                id,
                at: Date.now(),
                status: res.status,
                code: res.body?.code,
                retryAfter: res.headers.get('retry-after'),
              }),
          )
          .catch(
            (err: Error) => void sent.push({ id, at: Date.now(), status: 0, code: err.message }),
          ),
      );
      await sleep(Math.max(0, started + ((i + 1) * 1000) / RATE_PER_S - Date.now()));
    }
    await Promise.all(inflight);
    await outage;
    const healthAfter = await cluster.api.health();

    const refused = sent.filter((s) => s.status === 503);
    const accepted = sent.filter((s) => s.status === 202);
    const other = sent.filter((s) => s.status !== 202 && s.status !== 503);
    const firstAcceptedAfter = accepted
      .filter((s) => s.at > restoredAt)
      .sort((a, b) => a.at - b.at)[0];

    // The client retries what was refused, with the same idempotency keys.
    const retried = await pool(
      refused,
      8,
      async (s) =>
        (await api.post('/v1/events', program.secretKey, eventBody('signup', s.id))).status,
    );
    const total = sent.length;
    await waitFor(
      'every event processed',
      async () => (await suite.db.eventStatuses(program.id)).processed === total,
      90_000,
      500,
    );
    // A send whose claim was taken just before the cut, and whose outcome could not be written,
    // stays claimed until the claim expires; everything else goes out at once.
    const claimed = async () =>
      (
        await suite.db.rows<{ id: string }>(
          `SELECT id FROM messages WHERE "programId" = $1 AND status = 'sending' AND "updatedAt" < $2`,
          [program.id, new Date(restoredAt)],
        )
      ).map((r) => r.id);
    await waitFor(
      'every message sent but those claimed before the cut',
      async () =>
        (await suite.db.messageStatuses(program.id)).sent === total - (await claimed()).length,
      90_000,
      500,
    );
    const leftClaimed = await claimed();
    const keys = await suite.db.count(
      `SELECT count(DISTINCT "idempotencyKey") AS n FROM events WHERE "programId" = $1`,
      [program.id],
    );
    const d = deliveries(sink.received);

    suite.run.report.line(
      '4 database cut',
      `${total} events at ${RATE_PER_S}/s for ${seconds(RUN_MS)}, connection cut for ${seconds(restoredAt - cutAt)} (every socket dropped, new ones refused): ` +
        `${accepted.length} × 202, ${refused.length} × 503 ${[...new Set(refused.map((r) => r.code))].join('/')} (Retry-After ${refused[0]?.retryAfter ?? '-'}), ${other.length} other; ` +
        `health during the cut ${healthDuringCut.join(', ')}, after ${healthAfter}; first 202 ${firstAcceptedAfter ? seconds(firstAcceptedAfter.at - restoredAt) : '-'} after the restore; ` +
        `refused ones retried with their keys: ${[...new Set(retried)].join(', ')}; events stored ${keys} for ${total} keys, all processed; ` +
        `emails delivered ${d.unique}, duplicates ${d.duplicates.length}, ${leftClaimed.length} left claimed by a send the cut interrupted (checked before the load case)`,
    );
    suite.followUps.push({
      caseName: '4 database cut (claims)',
      check: async () => {
        await waitFor(
          'every message sent',
          async () => (await suite.db.messageStatuses(program.id)).sent === total,
          CLAIM_MS + 60_000,
          1000,
        );
        await sleep(1000);
        const [last] = await suite.db.rows<{ at: Date | null }>(
          'SELECT max("sentAt") AS at FROM messages WHERE id = ANY($1)',
          [leftClaimed],
        );
        const doneAt = last.at ? new Date(last.at).getTime() : restoredAt;
        const all = deliveries(sink.received);
        expect(await suite.db.messageStatuses(program.id)).toEqual({ sent: total });
        expect(all.unique).toBe(total);
        expect(all.duplicates.length).toBeLessThanOrEqual(leftClaimed.length);
        expect(all.duplicates.filter((id) => !leftClaimed.includes(id))).toEqual([]);
        for (const p of cluster.all()) expect(p.alive()).toBe(true);
        return leftClaimed.length
          ? `the ${leftClaimed.length} messages left claimed were sent ${seconds(doneAt - restoredAt)} after the restore; ${all.unique} of ${total} delivered, ${all.duplicates.length} twice`
          : `no message was left claimed; ${all.unique} of ${total} delivered, ${all.duplicates.length} twice`;
      },
    });
    expect(other).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((r) => r.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(healthDuringCut).toEqual([503]);
    expect(healthAfter).toBe(200);
    expect(firstAcceptedAfter).toBeDefined();
    expect(retried.filter((s) => s !== 202)).toEqual([]);
    expect(keys).toBe(total);
    expect(d.duplicates).toEqual([]);
    for (const p of cluster.all()) expect(p.alive()).toBe(true);
  });
}
