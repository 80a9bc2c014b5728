import { databaseCut } from './cases/database-cut';
import { hostileInput } from './cases/hostile-input';
import { idempotencyStorm } from './cases/idempotency-storm';
import { inboundCrash } from './cases/inbound-crash';
import { load } from './cases/load';
import { redisRestart } from './cases/redis-restart';
import { secrets } from './cases/secrets';
import { smtpOutage } from './cases/smtp-outage';
import { tenantIsolation } from './cases/tenant-isolation';
import { webhookReceiverCrash } from './cases/webhook-receiver-crash';
import { workerCrash } from './cases/worker-crash';
import { Db } from './support/db';
import { startRun } from './support/run';
import type { Suite } from './support/suite';

// One file, so that the cases run in this order and the secrets check sees everything the
// others logged and answered. Each case starts and stops its own processes and servers.
const suite: Suite = { followUps: [], cleanups: [] } as unknown as Suite;
// FAULTS_ONLY=1,4 runs some cases only, while working on them.
const only = process.env.FAULTS_ONLY?.split(',');
const maybe = (n: string) => (only && !only.includes(n) ? describe.skip : describe);

beforeAll(async () => {
  suite.run = await startRun();
  suite.db = new Db(suite.run.databaseUrl);
}, 120_000);

// Stops what cases kept running for the claims check, last started first.
async function stopLeftRunning(): Promise<void> {
  for (const cleanup of suite.cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

afterAll(async () => {
  await stopLeftRunning();
  await suite.db?.close();
  if (suite.run)
    suite.run.report.line(
      'run',
      `finished in ${((Date.now() - suite.run.startedAt) / 1000).toFixed(0)} s`,
    );
}, 120_000);

maybe('1')('1. a worker killed with SIGKILL in the middle of 1,000 emails', () =>
  workerCrash(suite),
);
maybe('2')('2. the SMTP server down for 20 s, and a server answering 451 first', () =>
  smtpOutage(suite),
);
maybe('3')('3. Redis restarted mid-run', () => redisRestart(suite));
maybe('4')('4. the database connection cut for a few seconds', () => databaseCut(suite));
maybe('5')('5. 1,000 concurrent requests with one idempotency key', () => idempotencyStorm(suite));
maybe('6')('6. hostile input on every endpoint', () => hostileInput(suite));
maybe('7')('7. tenant isolation', () => tenantIsolation(suite));
maybe('10')('10. the inbound listener’s worker killed with SIGKILL while bounces arrive', () =>
  inboundCrash(suite),
);
maybe('11')('11. the webhook receiver killed with SIGKILL while deliveries go out', () =>
  webhookReceiverCrash(suite),
);

// Cases 2 to 7 take longer than a claim (MESSAGE_CLAIM_MS), so this rarely waits. It runs before
// the load case so that the clusters of cases 1 and 4 are stopped by then: seven idle processes
// sweeping every second, and a TCP proxy in this process, would share the two cores with it.
describe('claims left by the faults above', () => {
  afterAll(stopLeftRunning, 60_000);
  it('are sent again once they expire, each at most once more', async () => {
    for (const followUp of suite.followUps)
      suite.run.report.line(followUp.caseName, await followUp.check());
  });
});

maybe('9')('9. a minute of mixed traffic at a fixed rate', () => load(suite));

// Last: it reads the logs and answers of every case before it.
maybe('8')('8. secrets in logs and answers', () => secrets(suite));
