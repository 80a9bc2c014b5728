import { randomUUID } from 'node:crypto';
import { createServer, request, type Agent, type Server } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventBody } from './support/api';
import { withApp, type BenchContext } from './support/app';
import type { Backend } from './support/backends';
import { emptySection, type SectionResult } from './support/report';
import { fmt, nowMs } from './support/stats';

const EVENT_TYPE = 'bench.webhook';
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS || 1000);
const POST_CONCURRENCY = 16;
// As many requests in flight as a worker runs jobs at once (WORKER_CONCURRENCY's default).
const BASELINE_CONCURRENCY = 8;
const STALL_MS = 60_000;

/** A receiver that answers 200 at once and counts what it got. */
async function startReceiver(): Promise<{ server: Server; url: string; count: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hooks`, count: () => received };
}

/** One signed POST, as the service sends it, with no database, queue or retry bookkeeping. */
function rawPost(url: string, agent: Agent, secret: Webhook, body: string): Promise<void> {
  const id = randomUUID();
  const at = new Date();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': secret.sign(id, at, body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Webhook deliveries per second: reward events through rules to a signed delivery at a local
 * receiver, beside signed POSTs of the same body from a bare loop to the same receiver.
 */
export async function runWebhooks(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Webhooks');
  const receiver = await startReceiver();
  try {
    for (const backend of backends) {
      await withApp(
        ctx,
        backend,
        'webhooks',
        section.problems,
        async (app) => {
          const { api } = await app.newProgram({ name: 'Bench webhooks' });
          const endpoint = await api.call<{ id: string; secret: string }>(
            'POST',
            '/v1/webhooks',
            { url: receiver.url, events: ['reward.created'] },
            [201],
          );
          await api.call('POST', '/v1/rules', {
            name: 'Reward each',
            event: EVENT_TYPE,
            actions: [
              {
                type: 'reward',
                to: 'participant',
                kind: 'credit',
                amount: 5,
                currency: 'USD',
                email: false,
              },
            ],
          });
          const before = receiver.count();
          const t0 = nowMs();
          let next = 0;
          await Promise.all(
            Array.from({ length: POST_CONCURRENCY }, async () => {
              while (next < EVENTS) {
                const i = next++;
                await api.call(
                  'POST',
                  '/v1/events',
                  { ...eventBody(EVENT_TYPE, `wh-${i}`), idempotencyKey: `wh-${i}` },
                  [202],
                );
              }
            }),
          );
          const posted = nowMs() - t0;
          let last = receiver.count();
          let lastChange = nowMs();
          while (receiver.count() - before < EVENTS) {
            await new Promise((r) => setTimeout(r, 20));
            if (receiver.count() !== last) {
              last = receiver.count();
              lastChange = nowMs();
            } else if (nowMs() - lastChange > STALL_MS) {
              const waiting = await api.call<{ items: unknown[] }>(
                'GET',
                `/v1/webhooks/${endpoint.id}/deliveries?status=pending&limit=2`,
              );
              const started = (await fetch(`${app.server.baseUrl}/metrics`).then((r) => r.text()))
                .split('\n')
                .filter((l) => l.startsWith('queue_wait_seconds_count'))
                .join(' / ');
              throw new Error(
                `stalled at ${receiver.count() - before} of ${EVENTS} webhooks received; jobs started: ${started}; waiting: ${JSON.stringify(waiting.items.slice(0, 1))}`,
              );
            }
          }
          const total = nowMs() - t0;
          const perSecond = EVENTS / (total / 1000);

          // The baseline: the same number of signed POSTs of a body of the same shape.
          const signer = new Webhook(endpoint.secret);
          const body = JSON.stringify({
            type: 'reward.created',
            timestamp: new Date().toISOString(),
            data: {
              reward: { id: randomUUID(), participantId: 'wh-0', amount: 5, kind: 'credit' },
            },
          });
          const agent = new HttpAgent({ keepAlive: false });
          let sent = 0;
          const b0 = nowMs();
          await Promise.all(
            Array.from({ length: BASELINE_CONCURRENCY }, async () => {
              while (sent < EVENTS) {
                sent++;
                await rawPost(receiver.url, agent, signer, body);
              }
            }),
          );
          const baseline = EVENTS / ((nowMs() - b0) / 1000);
          section.figures.push({
            measurement: 'Webhooks',
            figure: 'reward events to signed deliveries received',
            configuration: backend.label,
            unit: 'deliveries/s',
            project: perSecond,
            baseline,
            baselineLabel: `signed POSTs of the same body from a bare loop, ${BASELINE_CONCURRENCY} at a time, a new connection each`,
            better: 'higher',
          });
          ctx.log(
            `webhooks on ${backend.label}: ${fmt(perSecond)} deliveries/s (events posted in ${fmt(posted / 1000)} s), raw ${fmt(baseline)}/s`,
          );
        },
        { WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true' },
      );
    }
  } finally {
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  }
  section.notes.push(
    `${EVENTS} events posted ${POST_CONCURRENCY} at a time; a rule writes a reward for each, and each reward's reward.created delivery is written in the evaluation's transaction, queued after commit, signed (Standard Webhooks) and POSTed to a receiver in the bench process that answers 200 at once. The figure is events / time from the first POST /v1/events to the last webhook received, so it includes ingest and evaluation.`,
    `The baseline POSTs the same number of bodies of the same shape, signed with the same package, from the bench process to the same receiver, ${BASELINE_CONCURRENCY} in flight (as many jobs as a worker runs at once), a new connection each as the service opens: the cost of HTTP and signing alone, with no rows, queue or log.`,
  );
  return section;
}
