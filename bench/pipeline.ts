import { randomBytes } from 'node:crypto';
import { eventBody, type ApiClient } from './support/api';
import { withApp, type BenchContext } from './support/app';
import type { Backend } from './support/backends';
import type { MailerJob, MailerReport } from './support/baseline-mailer';
import { forkChild } from './support/child';
import { procCpuSeconds, procMemory, RssSampler } from './support/machine';
import {
  BENCH_TEMPLATE,
  type EventStatus,
  connectSmtp,
  emailRule,
  ensureTemplate,
  postEvent,
} from './support/program-setup';
import { emptySection, type SectionResult } from './support/report';
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

export async function runPipeline(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Pipeline');
  const count = ctx.options.pipelineEvents;
  const sink = await SmtpSink.start();
  try {
    ctx.log(`pipeline: baseline (raw nodemailer), ${count} messages`);
    const baseline = await runBaseline(ctx, sink, count, false);
    ctx.log(
      `  baseline: ${fmt(baseline.emailsPerSecond)} emails/s, ${fmt(baseline.cpuMsPerEmail)} CPU ms per email, peak RSS ${fmt(baseline.peakRssMiB)} MiB`,
    );
    // The Nagle-off baseline is CPU-bound, so it runs before and after the services and the
    // ratio uses the mean: what else the machine does weighs on both sides alike.
    const noDelayBefore = await runBaseline(ctx, sink, count, true);
    ctx.log(`  baseline with TCP_NODELAY: ${fmt(noDelayBefore.emailsPerSecond)} emails/s`);
    const pool = servicePoolSize();
    section.notes.push(
      `Baseline: raw nodemailer in a child process, pool of ${pool.maxConnections} connections × ${pool.maxMessages} messages (what src/transports/smtp/transport-factory.ts builds), ${count} pre-rendered messages of ~${fmt(baseline.bytesPerMessage)} bytes handed over at once, timed from the go signal to the last message the sink accepted; peak RSS ${fmt(baseline.peakRssMiB)} MiB.`,
      'Sink: smtp-server in the bench process on 127.0.0.1, plaintext, no AUTH, no parsing (counts and times only).',
    );
    const services: Array<{ label: string; rate: number; cpuMs: number; peakMiB: number }> = [];

    for (const backend of backends) {
      if (backend.unavailable) continue;
      ctx.log(`pipeline: service on ${backend.label}, ${count} events`);
      await withApp(ctx, backend, 'pipeline', section.problems, async (app) => {
        const { api } = await app.newProgram({ name: 'Pipeline bench' });
        await connectSmtp(api, sink.port);
        const template = await ensureTemplate(api);
        await api.call(
          'POST',
          '/v1/rules',
          emailRule('Bench: thank every participant', 'bench.pipeline', template.key),
          [201],
        );
        const idle = procMemory(app.server.pid);
        sink.reset();
        const run = randomBytes(4).toString('hex');
        const sampler = new RssSampler(app.server.pid).start();
        const cpu0 = procCpuSeconds(app.server.pid);
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
        const rss = sampler.stop();
        await evaluation;
        const cpuMs = ((procCpuSeconds(app.server.pid) - cpu0) * 1000) / count;
        const seconds = (sink.lastAcceptedAt! - t0) / 1000;
        const rate = count / seconds;
        ctx.log(
          `  service: ${fmt(rate)} emails/s, ${fmt(cpuMs)} CPU ms per email, peak RSS ${fmt(rss.peakMiB)} MiB`,
        );
        services.push({ label: backend.label, rate, cpuMs, peakMiB: rss.peakMiB });
        section.notes.push(
          `Service on ${backend.label}: ${count} events posted ${ctx.options.pipelineConcurrency} at a time in ${fmt((posted - t0) / 1000)} s (${fmt((count / (posted - t0)) * 1000)} events/s accepted), the last event evaluated ${fmt((evaluated! - t0) / 1000)} s and the last email accepted ${fmt(seconds)} s after the first post; ${sink.maxConnections} connections at once at the sink, ~${fmt(sink.bytes / Math.max(1, sink.accepted))} bytes per message, through ${template.note}. RSS after boot ${fmt(idle?.rssMiB ?? NaN)} MiB, peak (VmHWM) ${fmt(rss.peakMiB)} MiB, highest sample ${fmt(rss.maxSampledMiB)} MiB.`,
        );
      });
    }

    const noDelayAfter = await runBaseline(ctx, sink, count, true);
    ctx.log(`  baseline with TCP_NODELAY, again: ${fmt(noDelayAfter.emailsPerSecond)} emails/s`);
    for (const [name, b] of [
      ['baseline', baseline],
      ['baseline with TCP_NODELAY', noDelayBefore],
      ['baseline with TCP_NODELAY, again', noDelayAfter],
    ] as const) {
      if (b.report.failed)
        section.problems.push(`${name}: ${b.report.failed} sends failed (${b.report.firstError}).`);
    }
    const noDelay = (noDelayBefore.emailsPerSecond + noDelayAfter.emailsPerSecond) / 2;
    section.notes.push(
      `Second baseline: the same nodemailer pool given sockets with TCP_NODELAY (Nagle off), before and after the services: ${fmt(noDelayBefore.emailsPerSecond)} and ${fmt(noDelayAfter.emailsPerSecond)} emails/s; the table shows their mean. nodemailer leaves Nagle on; its body and the closing \`.\` go out as two writes, and the second waits for the server's delayed ACK (~40 ms on Linux), so each connection carries about 22 messages a second whatever the CPU does.`,
    );
    for (const { label, rate, cpuMs, peakMiB } of services) {
      section.figures.push(
        {
          measurement: 'Pipeline',
          figure: 'events → emails at the SMTP sink',
          configuration: label,
          unit: 'emails/s',
          project: rate,
          baseline: baseline.emailsPerSecond,
          baselineLabel: `raw nodemailer pool (${pool.maxConnections}), pre-rendered`,
          better: 'higher',
        },
        {
          measurement: 'Pipeline',
          figure: 'the same, against nodemailer with TCP_NODELAY',
          configuration: label,
          unit: 'emails/s',
          project: rate,
          baseline: noDelay,
          baselineLabel: `raw nodemailer pool (${pool.maxConnections}), Nagle off (mean of two runs)`,
          better: 'higher',
        },
        {
          measurement: 'Pipeline',
          figure: 'CPU time per email (the process doing the sending)',
          configuration: label,
          unit: 'ms',
          project: cpuMs,
          baseline: baseline.cpuMsPerEmail,
          baselineLabel: 'the nodemailer baseline process',
          better: 'lower',
        },
        {
          measurement: 'Memory',
          figure: 'peak RSS during the pipeline run',
          configuration: label,
          unit: 'MiB',
          project: peakMiB,
          baseline: baseline.peakRssMiB,
          baselineLabel: 'the nodemailer baseline process',
          better: 'lower',
        },
      );
    }
  } finally {
    await sink.stop();
  }
  return section;
}
