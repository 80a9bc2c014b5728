import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eventBody } from './support/api';
import { withApp, type BenchContext } from './support/app';
import type { Backend } from './support/backends';
import { ensureTemplate } from './support/program-setup';
import { baselineArgs, freePort, spawnServer, type ChildServer } from './support/child';
import { procCpuSeconds, RssSampler } from './support/machine';
import { emptySection, type SectionResult } from './support/report';
import { fmt } from './support/stats';

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  statusCodes: string;
  peakRssMiB: number;
  /** CPU the server process used per answered request, evaluation jobs included. */
  cpuMsPerRequest: number;
}

const PARTICIPANTS = 100;

function ruleNeverMet(event: string, template: string): Record<string, unknown> {
  return {
    name: 'Bench: orders over a million',
    event,
    conditions: {
      all: [{ fact: 'event', path: 'amount', operator: 'greaterThan', value: 1_000_000 }],
    },
    actions: [{ type: 'email', template, to: 'participant' }],
  };
}

function runCannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// The type no rule listens to (stored processed, no job), and the type one rule listens to
// with a condition these events never meet (each one queued and evaluated).
const UNRULED_TYPE = 'bench.ingest';
const RULED_TYPE = 'bench.ingest.ruled';

/** POST /v1/events under load: every request a new Idempotency-Key, participants in rotation. */
async function load(
  baseUrl: string,
  key: string,
  connections: number,
  seconds: number,
  pid: number,
  type = UNRULED_TYPE,
): Promise<LoadResult> {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  const bodies = Array.from({ length: PARTICIPANTS }, (_, i) =>
    JSON.stringify(eventBody(type, `ingest-${i}`, { amount: 42, orderId: `o-${i}` })),
  );
  const sampler = new RssSampler(pid).start();
  const cpu0 = procCpuSeconds(pid);
  const result = await runCannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${key}`,
              'idempotency-key': `ingest-${run}-${i}`,
            },
            body: bodies[i % PARTICIPANTS],
          };
        },
      },
    ],
  });
  const rss = sampler.stop();
  const cpuSeconds = procCpuSeconds(pid) - cpu0;
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([code, v]) => `${code}×${v.count}`)
    .join(', ');
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes: codes,
    peakRssMiB: rss.peakMiB,
    cpuMsPerRequest: (cpuSeconds * 1000) / Math.max(1, result.requests.total),
  };
}

async function warmUp(baseUrl: string, key: string, pid: number): Promise<void> {
  const seconds = Number(process.env.BENCH_INGEST_WARMUP_SECONDS ?? 2);
  if (seconds > 0) await load(baseUrl, key, 10, seconds, pid);
}

function problemsOf(r: LoadResult, who: string): string[] {
  return r.non2xx || r.errors
    ? [
        `${who}: ${r.non2xx} non-2xx answers and ${r.errors} connection errors (status codes: ${r.statusCodes}); its figure counts them as requests.`,
      ]
    : [];
}

async function startBaseline(ctx: BenchContext): Promise<ChildServer> {
  return spawnServer({
    name: 'ingest-baseline',
    args: baselineArgs(ctx.options.rootDir, 'bench/support/baseline-ingest-app.ts'),
    env: {},
    port: await freePort(),
    logDir: ctx.logDir,
    cwd: ctx.options.rootDir,
  });
}

/** One load run of the bare Nest endpoint in a child process of its own. */
async function measureBaseline(
  ctx: BenchContext,
  connections: number,
  seconds: number,
): Promise<{ result: LoadResult; dtoSource: string }> {
  const server = await startBaseline(ctx);
  try {
    await warmUp(server.baseUrl, 'none', server.pid);
    const result = await load(server.baseUrl, 'none', connections, seconds, server.pid);
    const dtoSource =
      /body class: (.*)$/m.exec(readFileSync(server.logFile, 'utf8'))?.[1] ?? 'unknown';
    return { result, dtoSource };
  } finally {
    await server.stop();
  }
}

const mean = (a: number, b: number) => (a + b) / 2;

interface ServiceRun {
  configuration: string;
  role: 'all' | 'api';
  result: LoadResult;
  /** The same load with events of a type a rule listens to. */
  ruled: LoadResult;
}

export async function runIngest(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Ingest');
  const { ingestConnections: connections, ingestSeconds: seconds } = ctx.options;
  const logBaseline = (r: LoadResult) =>
    ctx.log(`  baseline: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`);
  const logService = (what: string, r: LoadResult) =>
    ctx.log(
      `  service, ${what}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${fmt(r.cpuMsPerRequest)} CPU ms per request (${r.statusCodes})`,
    );

  // The baseline runs before and after the services; the ratios use the mean of the two, so
  // that what else the machine does during the run weighs on both sides alike.
  ctx.log(`ingest: baseline (bare Nest endpoint), ${connections} connections, ${seconds} s`);
  const before = await measureBaseline(ctx, connections, seconds);
  logBaseline(before.result);

  const runs: ServiceRun[] = [];
  for (const backend of backends) {
    if (backend.unavailable) continue;
    // With Redis, API processes can run apart from the workers: the API alone is what accepts a
    // launch-day burst, and the jobs it queues wait in Redis for workers on other machines.
    const roles: Array<'all' | 'api'> =
      backend.name === 'postgres-redis' ? ['all', 'api'] : ['all'];
    for (const role of roles) {
      const configuration = role === 'all' ? backend.label : `${backend.label}, API process only`;
      ctx.log(`ingest: service on ${configuration}`);
      await withApp(
        ctx,
        backend,
        role === 'all' ? 'ingest' : 'ingest-api',
        section.problems,
        async (app) => {
          const { program, api } = await app.newProgram({ name: 'Ingest bench' });
          await warmUp(app.server.baseUrl, program.secretKey, app.server.pid);
          const result = await load(
            app.server.baseUrl,
            program.secretKey,
            connections,
            seconds,
            app.server.pid,
          );
          logService('no rule on the type', result);
          section.problems.push(...problemsOf(result, `service on ${configuration}`));
          const template = await ensureTemplate(api);
          await api.call('POST', '/v1/rules', ruleNeverMet(RULED_TYPE, template.key), [201]);
          const ruled = await load(
            app.server.baseUrl,
            program.secretKey,
            connections,
            seconds,
            app.server.pid,
            RULED_TYPE,
          );
          logService('a rule on the type', ruled);
          section.problems.push(
            ...problemsOf(ruled, `service on ${configuration}, a rule on the type`),
          );
          runs.push({ configuration, role, result, ruled });
        },
        role === 'all' ? {} : { APP_ROLE: 'api' },
      );
    }
  }

  ctx.log('ingest: baseline again');
  const after = await measureBaseline(ctx, connections, seconds);
  logBaseline(after.result);
  const b1 = before.result;
  const b2 = after.result;
  for (const r of [b1, b2]) section.problems.push(...problemsOf(r, 'baseline'));
  const baseline = {
    rps: mean(b1.rps, b2.rps),
    p50: mean(b1.p50, b2.p50),
    p99: mean(b1.p99, b2.p99),
    cpuMsPerRequest: mean(b1.cpuMsPerRequest, b2.cpuMsPerRequest),
  };
  section.notes.push(
    `autocannon in the bench process, ${connections} connections for ${seconds} s after a short warm-up, against a child process; a new \`Idempotency-Key\` on every request, 100 participants in rotation.`,
    `Baseline: a bare Nest 11 app on platform-express in its own child process, \`POST /v1/events\` validating the body with ${before.dtoSource} through \`createValidationPipe()\` from src/common/http/validation.ts, answering 202 without storage, auth or logs.`,
    `The baseline ran before and after the services: ${fmt(b1.rps)} and ${fmt(b2.rps)} req/s (p50 ${fmt(b1.p50)} / ${fmt(b2.p50)} ms, p99 ${fmt(b1.p99)} / ${fmt(b2.p99)} ms); the table shows their mean. Peak RSS ${fmt(Math.max(b1.peakRssMiB, b2.peakRssMiB))} MiB (it loads the events controller's module graph to find the DTO).`,
  );

  for (const { configuration, role, result: r, ruled } of runs) {
    const fig = (
      figure: string,
      unit: string,
      project: number,
      base: number,
      better: 'higher' | 'lower',
    ) =>
      section.figures.push({
        measurement: 'Ingest',
        figure,
        configuration,
        unit,
        project,
        baseline: base,
        baselineLabel: 'bare Nest endpoint, same DTO and pipe (mean of two runs)',
        better,
      });
    fig('POST /v1/events throughput', 'req/s', r.rps, baseline.rps, 'higher');
    fig('POST /v1/events latency p50', 'ms', r.p50, baseline.p50, 'lower');
    fig('POST /v1/events latency p99', 'ms', r.p99, baseline.p99, 'lower');
    fig('server CPU per request', 'ms', r.cpuMsPerRequest, baseline.cpuMsPerRequest, 'lower');
    const jobs = role === 'all' ? 'evaluation included' : 'jobs queued in Redis';
    fig(`throughput, a rule on the type (${jobs})`, 'req/s', ruled.rps, baseline.rps, 'higher');
    fig(`latency p99, a rule on the type`, 'ms', ruled.p99, baseline.p99, 'lower');
    fig(
      `server CPU per request, a rule on the type (${jobs})`,
      'ms',
      ruled.cpuMsPerRequest,
      baseline.cpuMsPerRequest,
      'lower',
    );
    section.notes.push(
      `Service on ${configuration}: ${fmt(r.total)} requests (${r.statusCodes || 'no answers'}) of a type no rule listens to, each stored processed with no job; then ${fmt(ruled.total)} (${ruled.statusCodes || 'no answers'}) of a type one rule listens to, whose condition they never meet, each queued for evaluation. Peak RSS ${fmt(Math.max(r.peakRssMiB, ruled.peakRssMiB))} MiB. ${
        role === 'all'
          ? 'APP_ROLE=all: the evaluation jobs run in the same process meanwhile.'
          : 'APP_ROLE=api, no worker running: the evaluation jobs wait in Redis (a deployment runs workers elsewhere; their cost is in the pipeline figures).'
      }`,
    );
  }
  return section;
}
