import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { statusLine } from '../support/db';
import { deliveries } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

const EMAILS = 1000;

/** Case 1: a worker is killed with SIGKILL while 1,000 emails go out. */
export function workerCrash(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;

  beforeAll(async () => {
    sink = await SmtpTestServer.start({ users: { [SMTP_USER]: password } });
    cluster = await Cluster.start(suite.run, { name: 'crash' });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Worker crash');
    await api.connectSmtp(program, sink.port, password);
    await api.emailRule(program);
  });
  afterAll(async () => {
    await cluster?.stop();
    await sink?.stop();
  });

  it('delivers all 1,000 emails and processes every event, repeating only messages the dead worker had in flight', async () => {
    const started = Date.now();
    const ids = Array.from({ length: EMAILS }, (_, i) => `crash-${i}`);
    const posting = pool(ids, 16, async (id) => (await api.post('/v1/events', program.secretKey, eventBody('signup', id))).status);

    await waitFor('a quarter of the emails at the sink', async () => sink.received.length >= EMAILS / 4, 90_000, 10);
    const victim = cluster.workers[0];
    await victim.kill();
    const killedAt = Date.now();
    const atKill = { delivered: sink.received.length, messages: await suite.db.messageStatuses(program.id), events: await suite.db.eventStatuses(program.id) };
    expect(victim.exitedWith).toBe('signal SIGKILL');
    // An operator (or the orchestrator) starts a new worker; the survivor carries on meanwhile.
    await cluster.addWorker();

    const statuses = await posting;
    expect(statuses.filter((s) => s !== 202)).toEqual([]);

    await waitFor('every message sent', async () => (await suite.db.messageStatuses(program.id)).sent === EMAILS, 300_000, 1000);
    const recoveredAt = Date.now();
    await waitFor('every event processed', async () => (await suite.db.eventStatuses(program.id)).processed === EMAILS, 60_000, 500);
    // Late repeats would arrive now, if any job were still running somewhere.
    await sleep(2000);

    // A claim the dead worker never finished shows as an attempt without an outcome in the
    // message's log: the sweeper handed it on once the claim expired.
    const orphaned = new Set(
      (await suite.db.rows<{ id: string; attempts: number; attemptLog: string }>(`SELECT id, attempts, "attemptLog" FROM messages WHERE "programId" = $1`, [program.id]))
        .filter((m) => m.attempts > (JSON.parse(m.attemptLog) as unknown[]).length)
        .map((m) => m.id),
    );
    const messages = await suite.db.messageStatuses(program.id);
    const events = await suite.db.eventStatuses(program.id);
    const d = deliveries(sink.received);
    suite.run.report.line(
      '1 worker SIGKILL',
      `${EMAILS} events posted (all 202), worker killed at ${atKill.delivered} delivered (messages: ${statusLine(atKill.messages)}; events: ${statusLine(atKill.events)}); ` +
        `${orphaned.size} messages left claimed by the dead worker; all ${d.unique} delivered ${seconds(recoveredAt - killedAt)} after the kill ` +
        `(${seconds(recoveredAt - started)} in all); duplicates at the sink ${d.duplicates.length} (bound: ${orphaned.size} in flight); events ${statusLine(events)}; messages ${statusLine(messages)}`,
    );
    expect(events).toEqual({ processed: EMAILS });
    expect(messages).toEqual({ sent: EMAILS });
    expect(d.unique).toBe(EMAILS);
    expect(d.duplicates.length).toBeLessThanOrEqual(orphaned.size);
    expect(d.duplicates.filter((id) => !orphaned.has(id))).toEqual([]);
    for (const p of cluster.all().filter((p) => p !== victim)) expect(p.alive()).toBe(true);
  });
}
