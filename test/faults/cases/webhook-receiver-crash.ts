import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Api, eventBody, pool, type ProgramKeys } from '../support/api';
import { Cluster, freePort, track } from '../support/app-process';
import { seconds, waitFor } from '../support/run';
import type { Suite } from '../support/suite';

const EVENTS = 300;
// The receiver's own process: it verifies each request's signature with the standardwebhooks
// package and prints one JSON line per request it answered. Arguments: port, signing secret.
const RECEIVER = String.raw`
'use strict';
const http = require('node:http');
const { Webhook } = require('standardwebhooks');

// Run with node -e: the arguments follow the executable.
const [port, secret] = process.argv.slice(1);
const webhook = new Webhook(secret);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event = null;
    try {
      event = webhook.verify(body, {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      });
    } catch {
      event = null;
    }
    const status = event ? 200 : 401;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(event ? 'ok' : 'bad signature', () => {
      process.stdout.write(
        JSON.stringify({
          id: req.headers['webhook-id'] ?? null,
          verified: !!event,
          type: event?.type ?? null,
          rewardId: event?.data?.reward?.id ?? null,
        }) + '\n',
      );
    });
  });
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
`;

interface Line {
  id: string | null;
  verified: boolean;
  type: string | null;
  rewardId: string | null;
}

/** The receiver as a process of its own: started on a fixed port, killed with SIGKILL. */
class ReceiverProcess {
  private constructor(readonly child: ChildProcess) {}

  static async start(port: number, secret: string, lines: Line[]): Promise<ReceiverProcess> {
    const child = track(
      spawn(process.execPath, ['-e', RECEIVER, String(port), secret], {
        cwd: join(__dirname, '..', '..', '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const listening = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'listening') resolve();
        else lines.push(JSON.parse(line) as Line);
      });
    });
    await listening;
    return new ReceiverProcess(child);
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Case 11: the webhook receiver is killed with SIGKILL while reward.created deliveries go out,
 * and comes back a few seconds later on the same port. Every delivery was a row before it was a
 * request, so none is lost: each reward's event arrives, signed, at least once; and the
 * endpoint's secret is in no log line.
 */
export function webhookReceiverCrash(suite: Suite): void {
  let cluster: Cluster;
  let api: Api;
  let program: ProgramKeys;
  let port: number;
  let secret: string;
  let endpointId: string;
  let receiver: ReceiverProcess | undefined;
  const lines: Line[] = [];

  beforeAll(async () => {
    port = await freePort();
    cluster = await Cluster.start(suite.run, {
      name: 'webhooks',
      workers: 2,
      env: {
        WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true',
        WEBHOOK_BACKOFF_MS: '200',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
    });
    suite.cleanups.push(async () => {
      await receiver?.kill().catch(() => undefined);
      await cluster.stop();
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Webhook receiver crash');
    const created = await api.call('POST', '/v1/webhooks', {
      key: program.secretKey,
      body: { url: `http://127.0.0.1:${port}/hooks`, events: ['reward.created'] },
      showsKeys: true,
    });
    expect(created.status).toBe(201);
    secret = created.body.secret as string;
    endpointId = created.body.id as string;
    suite.run.secrets.add('webhook secret', secret);
    suite.run.secrets.add('webhook secret', secret.slice('whsec_'.length));
    const rule = await api.post('/v1/rules', program.secretKey, {
      name: 'Reward every signup',
      event: 'signup',
      actions: [
        {
          type: 'reward',
          to: 'participant',
          kind: 'credit',
          amount: 10,
          currency: 'USD',
          email: false,
        },
      ],
    });
    expect(rule.status).toBe(201);
    receiver = await ReceiverProcess.start(port, secret, lines);
  });

  it('loses no delivery while the receiver is dead, and logs no secret', async () => {
    const ids = Array.from({ length: EVENTS }, (_, i) => `hooked-${i}`);
    const sending = pool(ids, 16, (id) =>
      api.post('/v1/events', program.secretKey, eventBody('signup', id)),
    );
    await waitFor(
      'a third of the events delivered',
      async () => lines.length >= EVENTS / 3,
      60_000,
      5,
    );
    await receiver!.kill();
    const killedAt = Date.now();
    const deliveredAtKill = new Set(lines.map((l) => l.id)).size;
    // Down long enough for every worker to fail some tries and back off.
    await new Promise((r) => setTimeout(r, 3000));
    receiver = await ReceiverProcess.start(port, secret, lines);
    await sending;

    const rewardIds = await waitFor(
      'every reward announced',
      async () => {
        const got = new Set(lines.filter((l) => l.verified).map((l) => l.rewardId));
        return got.size >= EVENTS ? got : undefined;
      },
      180_000,
      500,
    );
    const rows = await suite.db.rows<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM webhook_deliveries WHERE "endpointId" = $1`,
      [endpointId],
    );
    const rewards = await suite.db.rows<{ id: string }>(
      `SELECT id FROM rewards WHERE "programId" = $1`,
      [program.id],
    );
    expect(rewards).toHaveLength(EVENTS);
    expect(rows).toHaveLength(EVENTS);
    expect(rows.filter((r) => r.status !== 'delivered')).toEqual([]);
    for (const r of rewards) expect(rewardIds.has(r.id)).toBe(true);
    expect(lines.filter((l) => !l.verified)).toEqual([]);
    const retried = rows.filter((r) => r.attempts > 1).length;
    const requests = lines.length;

    // The secret as is and as its key, in no log line of any process of the run so far.
    const logDir = join(suite.run.dir, 'logs');
    const leaks = readdirSync(logDir).filter((f) => {
      const text = readFileSync(join(logDir, f), 'utf8');
      return text.includes(secret) || text.includes(secret.slice('whsec_'.length));
    });
    expect(leaks).toEqual([]);
    suite.run.report.line(
      '11 webhook receiver SIGKILL',
      `${EVENTS} reward.created deliveries to a receiver killed after ${deliveredAtKill} and back ${seconds(3000)} later; ` +
        `all ${EVENTS} delivered and verified with standardwebhooks (${requests} requests answered, ${retried} deliveries needed more than one try), ` +
        `last one ${seconds(Date.now() - killedAt)} after the kill; secret in no log file: ${leaks.length ? leaks.join(', ') : 'none found'}`,
    );
  });
}
