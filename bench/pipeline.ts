import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { eventBody, type ApiClient } from './support/api';
import { toggleProfiles, withApp, type BenchContext, type RunningApp } from './support/app';
import type { Backend } from './support/backends';
import type { MailerJob, MailerReport } from './support/baseline-mailer';
import { forkChild } from './support/child';
import { backendCpuDelta, postgresBackendCpu, redisStats, sqlStatements } from './support/counters';
import { procCpuSeconds, procMemory, RssSampler } from './support/machine';
import {
  BENCH_TEMPLATE,
  type EventStatus,
  connectSmtp,
  emailRule,
  ensureTemplate,
  postEvent,
} from './support/program-setup';
import { emptySection, type Figure, type SectionResult } from './support/report';
import { SmtpSink } from './support/smtp-sink';
import { fmt, mapLimit, nowMs, sleep } from './support/stats';
import { sampleEmailData, TemplateRenderer } from '../src/templates/renderer';
import { buildTransportOptions } from '../src/transports/smtp/transport-factory';

/** The pool the service builds for a program's server, read from the code rather than assumed. */
function servicePoolSize(): { maxConnections: number; maxMessages: number } {
  const options = buildTransportOptions(
    { host: '127.0.0.1', port: 25, security: 'none' },
    { address: '127.0.0.1' } as never,
    { pool: true },
  ) as {
    maxConnections?: number;
    maxMessages?: number;
  };
  return { maxConnections: options.maxConnections ?? 5, maxMessages: options.maxMessages ?? 100 };
}

/** What the message log says when mail stops arriving: counts by status and the first error. */
async function messageDiagnostics(api: ApiClient): Promise<string> {
  const parts: string[] = [];
  for (const status of ['queued', 'sending', 'failed']) {
    const res = await api.request<{ items?: Array<{ error?: { code: string; message: string } }> }>(
      'GET',
      `/v1/messages?status=${status}&limit=100`,
    );
    const items = res.body?.items ?? [];
    parts.push(`${status}: ${items.length}${items.length === 100 ? '+' : ''}`);
    if (status === 'failed' && items[0]?.error)
      parts.push(`first error ${items[0].error.code}: ${items[0].error.message}`);
  }
  return `message log: ${parts.join(', ')}`;
}

interface BaselineResult {
  cpuMsPerEmail: number;
  emailsPerSecond: number;
  peakRssMiB: number;
  bytesPerMessage: number;
  report: MailerReport;
}

async function runBaseline(
  ctx: BenchContext,
  sink: SmtpSink,
  count: number,
  noDelay: boolean,
): Promise<BaselineResult> {
  const pool = servicePoolSize();
  // Pre-rendered once: the same template, layout and sample data the service renders per message.
  const rendered = new TemplateRenderer().renderParts(BENCH_TEMPLATE, {
    key: BENCH_TEMPLATE.key,
    locales: ['en'],
    data: sampleEmailData(BENCH_TEMPLATE.key, 'en'),
  });
  const job: MailerJob = {
    port: sink.port,
    count,
    ...pool,
    noDelay,
    message: { from: '"Bench Rewards" <rewards@bench.example>', ...rendered },
  };
  const child = forkChild(ctx.options.rootDir, 'bench/support/baseline-mailer.ts');
  try {
    const next = () =>
      new Promise<any>((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) =>
          reject(new Error(`the nodemailer baseline exited with code ${code}`)),
        );
      });
    const ready = next();
    child.send(job);
    await ready;
    sink.reset();
    const sampler = new RssSampler(child.pid!).start();
    const cpu0 = procCpuSeconds(child.pid!);
    const done = next();
    const t0 = nowMs();
    child.send({ go: true });
    const report = (await done) as MailerReport;
    await sink.waitFor(report.sent, 10_000);
    const rss = sampler.stop();
    return {
      cpuMsPerEmail: ((procCpuSeconds(child.pid!) - cpu0) * 1000) / Math.max(1, sink.accepted),
      emailsPerSecond: (sink.accepted / (sink.lastAcceptedAt! - t0)) * 1000,
      peakRssMiB: rss.peakMiB,
      bytesPerMessage: sink.bytes / Math.max(1, sink.accepted),
      report,
    };
  } finally {
    child.kill();
  }
}

/** What one configuration of the service did with `count` events, counted over the whole run. */
interface ServiceRun {
  label: string;
  rate: number;
  /** CPU of every service process, per email. */
  cpuMs: number;
  /** Peak RSS of each process, added up. */
  peakMiB: number;
  statementsPerEmail: number;
  /** Undefined without Redis. */
  redisPerEmail?: number;
  /** CPU of the Postgres backends of the service's connections, per email; undefined without. */
  postgresCpuMs?: number;
  /** CPU of the Redis server, per email; undefined without Redis. */
  redisCpuMs?: number;
  processes: number;
}

/** Posts `count` events to a running service and times them to the last email at the sink. */
async function measureService(
  ctx: BenchContext,
  app: RunningApp,
  sink: SmtpSink,
  label: string,
  redisUrl: string | undefined,
  notes: string[],
): Promise<ServiceRun> {
  const count = ctx.options.pipelineEvents;
  const { api } = await app.newProgram({ name: 'Pipeline bench' });
  await connectSmtp(api, sink.port);
  const template = await ensureTemplate(api);
  await api.call(
    'POST',
    '/v1/rules',
    emailRule('Bench: thank every participant', 'bench.pipeline', template.key),
    [201],
  );
  const pids = app.processes.map((p) => p.pid);
  const idle = pids.map((pid) => procMemory(pid)?.rssMiB ?? NaN).reduce((a, b) => a + b, 0);
  sink.reset();
  const run = randomBytes(4).toString('hex');
  const samplers = pids.map((pid) => new RssSampler(pid).start());
  const cpuOf = () => pids.map(procCpuSeconds).reduce((a, b) => a + b, 0);
  const statements0 = await sqlStatements(app.processes);
  const redis0 = redisUrl ? await redisStats(redisUrl) : undefined;
  const databaseUrl = app.store.databaseUrl;
  const backends0 = databaseUrl ? await postgresBackendCpu(databaseUrl) : undefined;
  const cpu0 = cpuOf();
  toggleProfiles(app.processes);
  const t0 = nowMs();
  const accepted = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    ctx.options.pipelineConcurrency,
    (i) =>
      postEvent(
        api,
        eventBody('bench.pipeline', `pipe-${i}`, { orderId: `o-${i}`, amount: 42 }),
        `pipe-${run}-${i}`,
      ),
  );
  const posted = nowMs();
  // The last event posted is about the last evaluated (jobs run in order): when it is
  // processed, evaluation is done and what remains is delivery.
  let evaluated: number | undefined;
  let polling = true;
  const lastEvent = accepted[accepted.length - 1].id;
  const evaluation = (async () => {
    while (polling && evaluated === undefined) {
      const e = await api.call<EventStatus>('GET', `/v1/events/${lastEvent}`);
      if (e.status !== 'queued') evaluated = nowMs();
      else await sleep(50);
    }
  })().catch(() => undefined);
  let lastLog = 0;
  await sink
    .waitFor(count, 60_000, (n) => {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        ctx.log(`  ${n}/${count} at the sink`);
      }
    })
    .catch(async (err: Error) => {
      polling = false;
      throw new Error(`${err.message}; ${await messageDiagnostics(api)}`);
    });
  const cpuMs = ((cpuOf() - cpu0) * 1000) / count;
  const rss = samplers.map((s) => s.stop());
  await evaluation;
  // Read once the last email is in: what the run still does after that (outcome updates
  // written after the sink's answer) is part of the emails' cost, so wait for it to settle.
  await sleep(500);
  toggleProfiles(app.processes);
  const statementsPerEmail = ((await sqlStatements(app.processes)) - statements0) / count;
  const redis1 = redisUrl ? await redisStats(redisUrl) : undefined;
  const redisPerEmail = redis0 && redis1 ? (redis1.commands - redis0.commands) / count : undefined;
  const redisCpuMs =
    redis0 && redis1 ? ((redis1.cpuSeconds - redis0.cpuSeconds) * 1000) / count : undefined;
  const backends1 = databaseUrl ? await postgresBackendCpu(databaseUrl) : undefined;
  // No backend readable: Postgres runs on another machine, and its CPU is not seen from here.
  const postgresCpuMs =
    backends0 && backends1 && backends1.size > 0
      ? (backendCpuDelta(backends0, backends1) * 1000) / count
      : undefined;
  const peakMiB = rss.reduce((a, r) => a + r.peakMiB, 0);
  const seconds = (sink.lastAcceptedAt! - t0) / 1000;
  const rate = count / seconds;
  ctx.log(
    `  service: ${fmt(rate)} emails/s, ${fmt(cpuMs)} CPU ms per email, ${fmt(statementsPerEmail)} SQL statements${redisPerEmail === undefined ? '' : ` and ${fmt(redisPerEmail)} Redis commands`} per email, peak RSS ${fmt(peakMiB)} MiB`,
  );
  const processes = app.processes.length;
  notes.push(
    `Service on ${label}: ${count} events posted ${ctx.options.pipelineConcurrency} at a time in ${fmt((posted - t0) / 1000)} s (${fmt((count / (posted - t0)) * 1000)} events/s accepted), the last event evaluated ${fmt((evaluated! - t0) / 1000)} s and the last email accepted ${fmt(seconds)} s after the first post; ${sink.maxConnections} connections at once at the sink, ~${fmt(sink.bytes / Math.max(1, sink.accepted))} bytes per message, through ${template.note}. ` +
      `${processes > 1 ? `${processes} processes, figures added up: ` : ''}RSS after boot ${fmt(idle)} MiB, peak (VmHWM) ${fmt(peakMiB)} MiB, highest sample ${fmt(rss.reduce((a, r) => a + r.maxSampledMiB, 0))} MiB. ` +
      `Counted over the run: ${fmt(statementsPerEmail * count, 6)} SQL statements (db_statements_total of every process)` +
      (redis0 && redis1
        ? `, ${fmt(redis1.commands - redis0.commands, 6)} Redis commands (INFO stats total_commands_processed; ${redis0.clients} and ${redis1.clients} clients connected at the two readings, the reading's own included${redis0.clients > processes * 3 + 1 ? ': more than the service and the bench hold, so other clients may be counted too' : ''})`
        : '') +
      (postgresCpuMs === undefined
        ? ''
        : `; ${fmt(postgresCpuMs)} ms of Postgres CPU per email (its backends for the service's connections, from /proc)`) +
      (redisCpuMs === undefined
        ? ''
        : `; ${fmt(redisCpuMs)} ms of Redis CPU per email (INFO used_cpu_user + used_cpu_sys)`) +
      '.',
  );
  return {
    label,
    rate,
    cpuMs,
    peakMiB,
    statementsPerEmail,
    redisPerEmail,
    postgresCpuMs,
    redisCpuMs,
    processes,
  };
}

interface Baselines {
  nagle: BaselineResult;
  noDelayBefore: BaselineResult;
  noDelayAfter: BaselineResult;
  /** Nagle off, mean of the runs before and after the services. */
  noDelay: { emailsPerSecond: number; cpuMsPerEmail: number; peakRssMiB: number };
}

async function baselinesBefore(
  ctx: BenchContext,
  sink: SmtpSink,
  withNagle: boolean,
): Promise<Pick<Baselines, 'nagle' | 'noDelayBefore'>> {
  const count = ctx.options.pipelineEvents;
  // The Nagle-off baseline is CPU-bound, so it runs before and after the services and the
  // ratio uses the mean: what else the machine does weighs on both sides alike.
  ctx.log(`pipeline: baseline (raw nodemailer, Nagle off), ${count} messages`);
  const noDelayBefore = await runBaseline(ctx, sink, count, true);
  ctx.log(
    `  baseline with TCP_NODELAY: ${fmt(noDelayBefore.emailsPerSecond)} emails/s, ${fmt(noDelayBefore.cpuMsPerEmail)} CPU ms per email, peak RSS ${fmt(noDelayBefore.peakRssMiB)} MiB`,
  );
  let nagle = noDelayBefore;
  if (withNagle) {
    nagle = await runBaseline(ctx, sink, count, false);
    ctx.log(`  baseline with Nagle on: ${fmt(nagle.emailsPerSecond)} emails/s`);
  }
  return { nagle, noDelayBefore };
}

async function baselinesAfter(
  ctx: BenchContext,
  sink: SmtpSink,
  before: Pick<Baselines, 'nagle' | 'noDelayBefore'>,
  problems: string[],
): Promise<Baselines> {
  const noDelayAfter = await runBaseline(ctx, sink, ctx.options.pipelineEvents, true);
  ctx.log(`  baseline with TCP_NODELAY, again: ${fmt(noDelayAfter.emailsPerSecond)} emails/s`);
  for (const [name, b] of [
    ['baseline with Nagle on', before.nagle],
    ['baseline with TCP_NODELAY', before.noDelayBefore],
    ['baseline with TCP_NODELAY, again', noDelayAfter],
  ] as const) {
    if (b.report.failed)
      problems.push(`${name}: ${b.report.failed} sends failed (${b.report.firstError}).`);
  }
  const { noDelayBefore } = before;
  return {
    ...before,
    noDelayAfter,
    noDelay: {
      emailsPerSecond: (noDelayBefore.emailsPerSecond + noDelayAfter.emailsPerSecond) / 2,
      cpuMsPerEmail: (noDelayBefore.cpuMsPerEmail + noDelayAfter.cpuMsPerEmail) / 2,
      peakRssMiB: Math.max(noDelayBefore.peakRssMiB, noDelayAfter.peakRssMiB),
    },
  };
}

function baselineNote(b: Baselines, count: number): string {
  const pool = servicePoolSize();
  return `Baseline: raw nodemailer in a child process, pool of ${pool.maxConnections} connections × ${pool.maxMessages} messages (what src/transports/smtp/transport-factory.ts builds), sockets with TCP_NODELAY (Nagle off, as the service's transport runs), ${count} pre-rendered messages of ~${fmt(b.noDelayBefore.bytesPerMessage)} bytes handed over at once, timed from the go signal to the last message the sink accepted; it ran before and after the services (${fmt(b.noDelayBefore.emailsPerSecond)} and ${fmt(b.noDelayAfter.emailsPerSecond)} emails/s, ${fmt(b.noDelayBefore.cpuMsPerEmail)} and ${fmt(b.noDelayAfter.cpuMsPerEmail)} CPU ms per email) and the table shows their mean; peak RSS ${fmt(b.noDelay.peakRssMiB)} MiB.`;
}

/** The rows of one configuration: throughput against both baselines, CPU, counts, memory. */
function serviceFigures(
  measurement: string,
  s: ServiceRun,
  b: Baselines,
  withNagle: boolean,
  figure = 'events → emails at the SMTP sink',
): Figure[] {
  const pool = servicePoolSize();
  const rows: Figure[] = [
    {
      measurement,
      figure,
      configuration: s.label,
      unit: 'emails/s',
      project: s.rate,
      baseline: b.noDelay.emailsPerSecond,
      baselineLabel: `raw nodemailer pool (${pool.maxConnections}), Nagle off, pre-rendered (mean of two runs)`,
      better: 'higher',
    },
  ];
  if (withNagle)
    rows.push({
      measurement,
      figure: 'the same, against nodemailer with Nagle on',
      configuration: s.label,
      unit: 'emails/s',
      project: s.rate,
      baseline: b.nagle.emailsPerSecond,
      baselineLabel: `raw nodemailer pool (${pool.maxConnections}), Nagle on (its default)`,
      better: 'higher',
    });
  rows.push(
    {
      measurement,
      figure: `CPU time per email (${s.processes > 1 ? `the ${s.processes} service processes` : 'the service process'})`,
      configuration: s.label,
      unit: 'ms',
      project: s.cpuMs,
      baseline: b.noDelay.cpuMsPerEmail,
      baselineLabel: 'the nodemailer baseline process, Nagle off (mean of two runs)',
      better: 'lower',
    },
    {
      measurement,
      figure: 'SQL statements per email (counted: db_statements_total)',
      configuration: s.label,
      unit: 'statements',
      project: s.statementsPerEmail,
      baselineLabel: 'none: the count itself',
      better: 'lower',
    },
  );
  if (s.redisPerEmail !== undefined)
    rows.push({
      measurement,
      figure: 'Redis commands per email (counted: INFO total_commands_processed)',
      configuration: s.label,
      unit: 'commands',
      project: s.redisPerEmail,
      baselineLabel: 'none: the count itself',
      better: 'lower',
    });
  for (const [what, value] of [
    ['Postgres CPU per email (the backends of the service)', s.postgresCpuMs],
    ['Redis CPU per email (the server)', s.redisCpuMs],
  ] as const) {
    if (value !== undefined)
      rows.push({
        measurement,
        figure: what,
        configuration: s.label,
        unit: 'ms',
        project: value,
        baselineLabel: 'none: the cost itself, beside the service processes',
        better: 'lower',
      });
  }
  rows.push({
    measurement: measurement === 'Pipeline' ? 'Memory' : measurement,
    figure: `peak RSS during the pipeline run${s.processes > 1 ? ' (processes added up)' : ''}`,
    configuration: s.label,
    unit: 'MiB',
    project: s.peakMiB,
    baseline: b.noDelay.peakRssMiB,
    baselineLabel: 'the nodemailer baseline process',
    better: 'lower',
  });
  return rows;
}

const COUNT_NOTE =
  "Counted, not estimated: SQL statements are the change of `db_statements_total` (every statement each service process sent, BEGIN and COMMIT included) summed over the processes, read before the first post and after the last email; Redis commands are the change of `total_commands_processed` in Redis's INFO stats over the same span (the bench does not use Redis meanwhile, so on a Redis no one else uses they are the service's). Both are divided by the emails sent. CPU is user + system time of every service process from /proc over the same span, per email; beside it, when they run on this machine, the CPU of the Postgres backends serving the service's connections (from /proc; a connection the pool closed during the run takes its CPU with it) and of the Redis server (INFO used_cpu_user + used_cpu_sys), per email: what one Postgres and one Redis spend for each email, the basis for how many emails a second they carry.";

const SINK_NOTE =
  'Sink: smtp-server in the bench process on 127.0.0.1, plaintext, no AUTH, no parsing (counts and times only).';

export async function runPipeline(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Pipeline');
  const count = ctx.options.pipelineEvents;
  const sink = await SmtpSink.start();
  try {
    const before = await baselinesBefore(ctx, sink, true);
    const services: ServiceRun[] = [];
    for (const backend of backends) {
      if (backend.unavailable) continue;
      const redisUrl = backend.name === 'postgres-redis' ? ctx.options.redisUrl : undefined;
      // With Redis, the README's several-processes deployment too: one API and two workers.
      const shapes = backend.name === 'postgres-redis' ? [0, 2] : [0];
      for (const workers of shapes) {
        const label = workers ? `${backend.label}, one API + two workers` : backend.label;
        ctx.log(`pipeline: service on ${label}, ${count} events`);
        await withApp(
          ctx,
          backend,
          workers ? 'pipeline-split' : 'pipeline',
          section.problems,
          async (app) => {
            services.push(await measureService(ctx, app, sink, label, redisUrl, section.notes));
          },
          {},
          workers,
        );
      }
    }
    const b = await baselinesAfter(ctx, sink, before, section.problems);
    section.notes.unshift(
      baselineNote(b, count),
      `Second baseline: the same nodemailer pool with Nagle on, nodemailer's default (${fmt(b.nagle.emailsPerSecond)} emails/s, run once before the services). nodemailer writes a message's body and its closing \`.\` apart; with Nagle on the second write may wait for the server's delayed ACK (~40 ms on Linux), which held each connection to about 22 messages a second in earlier runs; whether it does on the machine of a run shows in its two baselines.`,
      SINK_NOTE,
      COUNT_NOTE,
      'One API + two workers: APP_ROLE=api for the process the events are posted to, APP_ROLE=worker for two more (evaluation and delivery), all on the same Postgres database and Redis prefix; CPU, memory and statements are those of the three processes added up.',
    );
    for (const s of services) section.figures.push(...serviceFigures('Pipeline', s, b, true));
  } finally {
    await sink.stop();
  }
  return section;
}

/**
 * The pipeline on Postgres + Redis with one API process and 1, 2 and 4 worker processes: the
 * shape of the curve as workers are added (on a machine of few cores, the cores cap it).
 */
export async function runScale(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Pipeline scale');
  const count = ctx.options.pipelineEvents;
  const backend = backends.find((b) => b.name === 'postgres-redis');
  if (!backend || backend.unavailable) {
    section.problems.push(
      `the scale run needs Postgres + Redis: ${backend?.unavailable ?? 'not among BENCH_BACKENDS'}`,
    );
    return section;
  }
  const sink = await SmtpSink.start();
  try {
    const before = await baselinesBefore(ctx, sink, false);
    const services: ServiceRun[] = [];
    for (const workers of ctx.options.scaleWorkers) {
      const label = `${backend.label}, one API + ${workers} worker${workers === 1 ? '' : 's'}`;
      ctx.log(`scale: service on ${label}, ${count} events`);
      await withApp(
        ctx,
        backend,
        `scale-${workers}`,
        section.problems,
        async (app) => {
          services.push(
            await measureService(ctx, app, sink, label, ctx.options.redisUrl, section.notes),
          );
        },
        {},
        workers,
      );
    }
    const b = await baselinesAfter(ctx, sink, before, section.problems);
    section.notes.unshift(
      baselineNote(b, count),
      SINK_NOTE,
      COUNT_NOTE,
      `One API process (APP_ROLE=api) that the events are posted to and ${ctx.options.scaleWorkers.join(', ')} worker processes (APP_ROLE=worker, WORKER_CONCURRENCY ${ctx.options.workerConcurrency ?? 'default'} each) in turn, each configuration on a fresh database. The machine has ${cpus().length} cores, shared by the bench, the processes, Postgres and Redis: past that many busy processes, more workers only share the same cores.`,
    );
    const first = services[0];
    for (const s of services) {
      section.figures.push(
        ...serviceFigures('Pipeline scale', s, b, false, 'events → emails at the SMTP sink'),
      );
      if (s !== first && first)
        section.observations.push(
          `${s.label}: ${fmt(s.rate / first.rate)}× the throughput of ${first.label}.`,
        );
    }
    if (services.length > 1)
      section.notes.push(
        `Throughput against the first configuration: ${services.map((s) => `${s.processes - 1} worker(s) ${fmt(s.rate)} emails/s (${fmt(s.rate / first.rate)}×)`).join(', ')}.`,
      );
  } finally {
    await sink.stop();
  }
  return section;
}
