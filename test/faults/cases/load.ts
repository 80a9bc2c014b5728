import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Api, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { statusLine } from '../support/db';
import { seconds, waitFor } from '../support/run';
import type { Suite } from '../support/suite';

const SECONDS = 60;
const EVENTS_PER_S = 200;
const READS_PER_S = 20;
const PARTICIPANTS = 100;

// The part of autocannon 8 used here; the package ships no type declarations.
interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Histogram {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}
interface Result {
  requests: Histogram;
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    overallRate: number;
    requests: Array<RawRequest & { setupRequest?: (req: RawRequest) => RawRequest }>;
  },
  done: (err: Error | null, result: Result) => void,
) => unknown;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

function cannon(options: Parameters<Autocannon>[0]): Promise<Result> {
  return new Promise(
    (resolve, reject) =>
      void autocannon(options, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

const summary = (r: Result) =>
  `${r.requests.total} requests (${r.requests.average.toFixed(0)}/s), latency p50 ${r.latency.p50} ms, p90 ${r.latency.p90} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms; ` +
  `${Object.entries(r.statusCodeStats)
    .map(([s, v]) => `${s}×${v.count}`)
    .join(', ')}; errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}`;

/** Case 9: a minute of mixed traffic at a fixed rate against an API process, two workers behind it. */
export function load(suite: Suite): void {
  let cluster: Cluster;
  let api: Api;
  let program: ProgramKeys;
  let seeded: string;

  beforeAll(async () => {
    cluster = await Cluster.start(suite.run, { name: 'load' });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Load');
    const rule = await api.post('/v1/rules', program.secretKey, {
      name: 'Points for a purchase of 50 or more',
      event: 'purchase',
      conditions: {
        all: [{ fact: 'event', path: 'amount', operator: 'greaterThanInclusive', value: 50 }],
      },
      actions: [
        {
          type: 'reward',
          to: 'participant',
          kind: 'points',
          amount: 10,
          currency: 'USD',
          email: false,
        },
      ],
    });
    expect(rule.status).toBe(201);
    const first = await api.post('/v1/events', program.secretKey, {
      type: 'purchase',
      participant: { id: 'load-0', email: 'load-0@example.com' },
      data: { amount: 10 },
    });
    expect(first.status).toBe(202);
    seeded = first.body.id;
    // Every read names something that exists before the minute starts: load-1 would otherwise
    // come with the load's second event, and a read sent before it is stored answers 404.
    const reader = await api.put('/v1/participants/load-1', program.secretKey, {
      email: 'load-1@example.com',
    });
    expect(reader.status).toBe(201);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves a minute of about 200 events per second and some reads with no errors, and the workers keep up', async () => {
    const run = randomBytes(4).toString('hex');
    const auth = {
      authorization: `Bearer ${program.secretKey}`,
      'content-type': 'application/json',
    };
    let n = 0;
    const bodies = Array.from({ length: PARTICIPANTS }, (_, i) =>
      JSON.stringify({
        type: 'purchase',
        participant: { id: `load-${i}`, email: `load-${i}@example.com` },
        data: { amount: (i % 2) * 60 + 20, orderId: `o-${i}` },
      }),
    );
    const reads = [
      `/v1/events/${seeded}`,
      '/v1/rules',
      '/v1/messages?limit=20',
      '/v1/program',
      '/v1/participants/load-1',
      '/v1/rewards?participantId=load-1&limit=20',
    ];
    let r = 0;
    const started = Date.now();
    const [events, gets] = await Promise.all([
      cannon({
        url: cluster.api.baseUrl,
        connections: 50,
        duration: SECONDS,
        overallRate: EVENTS_PER_S,
        requests: [
          {
            method: 'POST',
            path: '/v1/events',
            setupRequest: (req) => {
              const i = n++;
              return {
                ...req,
                headers: { ...auth, 'idempotency-key': `load-${run}-${i}` },
                body: bodies[i % PARTICIPANTS],
              };
            },
          },
        ],
      }),
      cannon({
        url: cluster.api.baseUrl,
        connections: 4,
        duration: SECONDS,
        overallRate: READS_PER_S,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: reads[r++ % reads.length], headers: auth }),
          },
        ],
      }),
    ]);
    const loadEnd = Date.now();
    const accepted = events.statusCodeStats['202']?.count ?? 0;
    const atEnd = await suite.db.eventStatuses(program.id);
    // Requests still in flight when the minute ended are stored too, without their answer counted.
    const stored = await waitFor(
      'every event processed',
      async () => {
        const s = await suite.db.eventStatuses(program.id);
        return Object.keys(s).length === 1 && s.processed >= accepted + 1 && s.processed;
      },
      120_000,
      1000,
    );
    const drained = Date.now();
    const rewards = await suite.db.count(
      'SELECT count(*) AS n FROM rewards WHERE "programId" = $1',
      [program.id],
    );
    const matching = await suite.db.count(
      `SELECT count(*) AS n FROM events WHERE "programId" = $1 AND (data::jsonb ->> 'amount')::numeric >= 50`,
      [program.id],
    );
    suite.run.report.line(
      '9 load (events)',
      `POST /v1/events at ${EVENTS_PER_S}/s for ${SECONDS} s, 50 connections: ${summary(events)}`,
    );
    suite.run.report.line(
      '9 load (reads)',
      `6 GET routes in turn at ${READS_PER_S}/s, 4 connections: ${summary(gets)}`,
    );
    suite.run.report.line(
      '9 load (workers)',
      `2 workers: events at the end of the load ${statusLine(atEnd)}; all ${stored} stored processed ${seconds(drained - loadEnd)} after it (${seconds(drained - started)} in all); ` +
        `${rewards} rewards for ${matching} matching events; processes up: ${cluster.all().every((p) => p.alive())}`,
    );
    for (const result of [events, gets]) {
      expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).toEqual({
        errors: 0,
        timeouts: 0,
        non2xx: 0,
      });
    }
    // Two cores carry the API, both workers, Postgres and the load generator: on a busy machine
    // the rate sags before anything fails, so a floor is asserted and the rate reported.
    expect(events.requests.total).toBeGreaterThanOrEqual(EVENTS_PER_S * SECONDS * 0.5);
    expect(accepted).toBe(events.requests.total);
    expect(stored).toBeLessThanOrEqual(n + 1);
    expect(rewards).toBe(matching);
    expect(cluster.all().every((p) => p.alive())).toBe(true);
  });
}
