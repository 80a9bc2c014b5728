import { randomBytes } from 'node:crypto';
import { SmtpTestServer } from '../../support/smtp-test-server';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster, FAST_RECOVERY } from '../support/app-process';
import { statusLine } from '../support/db';
import { deliveries } from '../support/infra';
import { seconds, sleep, waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

const EMAILS = 1000;
// DeliveryService holds a claim this long (MESSAGE_CLAIM_MS of every process the suite starts);
// the sweeper hands a dead worker's claims on after it.
export const CLAIM_MS = Number(FAST_RECOVERY.MESSAGE_CLAIM_MS);

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
    suite.cleanups.push(async () => {
      await cluster.stop();
      await sink.stop();
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Worker crash');
    await api.connectSmtp(program, sink.port, password);
    await api.emailRule(program);
  });

  it('processes every event and delivers every email the dead worker had not claimed; its claims wait for expiry', async () => {
    const ids = Array.from({ length: EMAILS }, (_, i) => `crash-${i}`);
    const posting = pool(
      ids,
      16,
      async (id) =>
        (await api.post('/v1/events', program.secretKey, eventBody('signup', id))).status,
    );

    await waitFor(
      'a quarter of the emails at the sink',
      async () => sink.received.length >= EMAILS / 4,
      90_000,
      10,
    );
    const victim = cluster.workers[0];
    await victim.kill();
    const killedAt = new Date();
    const atKill = {
      delivered: sink.received.length,
      messages: await suite.db.messageStatuses(program.id),
      events: await suite.db.eventStatuses(program.id),
    };
    expect(victim.exitedWith).toBe('signal SIGKILL');
    // An operator (or the orchestrator) starts a new worker; the survivor carries on meanwhile.
    await cluster.addWorker();
    const statuses = await posting;
    expect(statuses.filter((s) => s !== 202)).toEqual([]);

    // Jobs the dead worker held come back to the others (Bull's stalled-job check); messages it
    // had claimed stay "sending" until the claim expires.
    await waitFor(
      'every event processed',
      async () => (await suite.db.eventStatuses(program.id)).processed === EMAILS,
      120_000,
      500,
    );
    const claimed = async () =>
      (
        await suite.db.rows<{ id: string }>(
          `SELECT id FROM messages WHERE "programId" = $1 AND status = 'sending' AND "updatedAt" < $2`,
          [program.id, killedAt],
        )
      ).map((r) => r.id);
    await waitFor(
      'every message sent but the dead worker’s claims',
      async () =>
        (await suite.db.messageStatuses(program.id)).sent === EMAILS - (await claimed()).length,
      120_000,
      500,
    );
    const leftClaimed = new Set(await claimed());
    const settledAt = Date.now();
    const early = deliveries(sink.received);
    expect(early.duplicates).toEqual([]);
    expect(early.unique).toBeGreaterThanOrEqual(EMAILS - leftClaimed.size);
    suite.run.report.line(
      '1 worker SIGKILL',
      `${EMAILS} events posted (all 202); worker killed at ${atKill.delivered} delivered (messages: ${statusLine(atKill.messages)}; events: ${statusLine(atKill.events)}); ` +
        `all ${EMAILS} events processed and ${EMAILS - leftClaimed.size} emails sent ${seconds(settledAt - killedAt.getTime())} after the kill; ` +
        `${leftClaimed.size} left claimed by the dead worker (resent when the ${seconds(CLAIM_MS)} claim expires: checked before the load case)`,
    );

    suite.followUps.push({
      caseName: '1 worker SIGKILL (claims)',
      check: async () => {
        await waitFor(
          'every message sent',
          async () => (await suite.db.messageStatuses(program.id)).sent === EMAILS,
          CLAIM_MS + 60_000,
          1000,
        );
        await sleep(1000);
        // A claim never finished shows as an attempt without an outcome in the message's log.
        const orphaned = new Set(
          (
            await suite.db.rows<{ id: string; attempts: number; attemptLog: string }>(
              `SELECT id, attempts, "attemptLog" FROM messages WHERE "programId" = $1`,
              [program.id],
            )
          )
            .filter((m) => m.attempts > (JSON.parse(m.attemptLog) as unknown[]).length)
            .map((m) => m.id),
        );
        const d = deliveries(sink.received);
        const [resent] = await suite.db.rows<{ first: Date | null; last: Date | null }>(
          'SELECT min("sentAt") AS first, max("sentAt") AS last FROM messages WHERE id = ANY($1)',
          [[...orphaned]],
        );
        const firstAt = resent.first ? new Date(resent.first).getTime() : Date.now();
        const doneAt = resent.last ? new Date(resent.last).getTime() : Date.now();
        expect(await suite.db.messageStatuses(program.id)).toEqual({ sent: EMAILS });
        expect(await suite.db.eventStatuses(program.id)).toEqual({ processed: EMAILS });
        expect(orphaned).toEqual(leftClaimed);
        expect(d.unique).toBe(EMAILS);
        expect(d.duplicates.length).toBeLessThanOrEqual(orphaned.size);
        expect(d.duplicates.filter((id) => !orphaned.has(id))).toEqual([]);
        for (const p of cluster.all().filter((p) => p !== victim)) expect(p.alive()).toBe(true);
        if (orphaned.size > 0) {
          // Taken over only once the claim expired (its sends were claimed at most seconds before
          // the kill), and soon after: the sweeper runs every second.
          expect(firstAt - killedAt.getTime()).toBeGreaterThanOrEqual(CLAIM_MS - 20_000);
          expect(doneAt - killedAt.getTime()).toBeLessThanOrEqual(CLAIM_MS + 30_000);
        }
        return (
          `the ${orphaned.size} messages the dead worker had claimed were sent ${seconds(firstAt - killedAt.getTime())} to ${seconds(doneAt - killedAt.getTime())} after the kill ` +
          `(claim ${seconds(CLAIM_MS)}); ` +
          `${d.unique} of ${EMAILS} delivered, ${d.duplicates.length} twice (bound: the ${orphaned.size} in flight; the dead worker had sent them but not recorded it)`
        );
      },
    });
  });
}
