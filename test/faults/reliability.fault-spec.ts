import { redisRestart } from './cases/redis-restart';
import { smtpOutage } from './cases/smtp-outage';
import { workerCrash } from './cases/worker-crash';
import { Db } from './support/db';
import { startRun } from './support/run';
import type { Suite } from './support/suite';

// One file, so that the cases run in this order and the secrets check sees everything the
// others logged and answered. Each case starts and stops its own processes and servers.
const suite = {} as Suite;
const only = process.env.FAULTS_ONLY?.split(',');
const maybe = (n: string) => (only && !only.includes(n) ? describe.skip : describe);

beforeAll(async () => {
  suite.run = await startRun();
  suite.db = new Db(suite.run.databaseUrl);
}, 120_000);

afterAll(async () => {
  await suite.db?.close();
  if (suite.run) suite.run.report.line('run', `finished in ${((Date.now() - suite.run.startedAt) / 1000).toFixed(0)} s`);
});

maybe('1')('1. a worker killed with SIGKILL in the middle of 1,000 emails', () => workerCrash(suite));
maybe('2')('2. the SMTP server down for 20 s, and a server answering 451 first', () => smtpOutage(suite));
maybe('3')('3. Redis restarted mid-run', () => redisRestart(suite));
