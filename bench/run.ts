import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runGrowth } from './growth';
import { runInbound } from './inbound';
import { runIngest } from './ingest';
import { runPipeline, runScale } from './pipeline';
import { runRender } from './render';
import { runWebhooks } from './webhooks';
import { runCodeClaims } from './code-claims';
import { closeClients } from './support/api';
import { logDirFor, type BenchContext } from './support/app';
import { resolveBackends, type Backend } from './support/backends';
import { appEntry, buildApp } from './support/child';
import { machineInfo, type MachineInfo } from './support/machine';
import { benchOptions, type BenchOptions } from './support/options';
import { emptySection, type SectionResult } from './support/report';
import { fmt, ratio } from './support/stats';

const started = Date.now();
const log = (line: string) =>
  process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function sizesTable(o: BenchOptions): string {
  return table(
    ['variable', 'value', 'what'],
    [
      ['BENCH_ONLY', o.only.join(','), 'measurements to run'],
      ['BENCH_BACKENDS', o.backends.join(','), 'configurations to run'],
      [
        'BENCH_INGEST_CONNECTIONS / _SECONDS',
        `${o.ingestConnections} / ${o.ingestSeconds}`,
        'autocannon load on POST /v1/events',
      ],
      [
        'BENCH_PIPELINE_EVENTS / _CONCURRENCY',
        `${o.pipelineEvents} / ${o.pipelineConcurrency}`,
        'events through to the SMTP sink, posted this many at a time',
      ],
      [
        'BENCH_SCALE_WORKERS',
        o.scaleWorkers.join(','),
        'worker processes beside one API process in the scale run (Postgres + Redis), one run each',
      ],
      [
        'BENCH_RENDER_ROUNDS / _ROUND_MS',
        `${o.renderRounds} / ${o.renderRoundMs}`,
        'render rounds (median taken)',
      ],
      [
        'BENCH_GROWTH_RULES / _EVENTS',
        `${o.growthRuleCounts.join(',')} / ${o.growthEvents}`,
        'rules in the program, events timed per size',
      ],
      [
        'BENCH_W9_REWARDS / _WRITES',
        `${o.w9RewardCounts.join(',')} / ${o.w9Writes}`,
        'earlier rewards seeded, reward writes timed per size',
      ],
      [
        'BENCH_INBOUND_REPORTS / _CONCURRENCY',
        `${o.inboundReports} / ${o.inboundConcurrency}`,
        'bounce reports per path (listener, mailbox), handed to the listener over this many connections',
      ],
      ['BENCH_LOG_LEVEL', o.logLevel, 'LOG_LEVEL of the service under test'],
      [
        'BENCH_WORKER_CONCURRENCY',
        o.workerConcurrency ?? '(service default)',
        'WORKER_CONCURRENCY of the service under test',
      ],
      [
        'BENCH_PROFILE_DIR',
        process.env.BENCH_PROFILE_DIR || '(off)',
        'a V8 CPU profile of each service process during the pipeline runs, written there; bench/profile-summary.ts sorts it into categories',
      ],
    ],
  );
}

function render(
  o: BenchOptions,
  m: MachineInfo,
  backends: Backend[],
  buildNote: string,
  sections: SectionResult[],
  seconds: number,
): string {
  const out: string[] = [];
  out.push(
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; the run took ${fmt(seconds / 60)} minutes. ` +
      'Every figure is the service beside a baseline measured in the same run on the same machine, and their ratio ' +
      '(service ÷ baseline: above 1× is more of the unit). No thresholds: it reports, it does not judge. Sizes come from ' +
      'the environment (below), so a run can be scaled to the machine.',
    '',
    '## Machine',
    '',
    table(
      ['cpu', 'cores', 'memory', 'node', 'os', 'load average at start', 'at the end'],
      [
        [
          m.cpuModel,
          String(m.cores),
          `${fmt(m.memoryGiB)} GiB (${fmt(m.freeMemoryGiB)} free)`,
          m.node,
          m.os,
          m.loadAverage,
          machineInfo().loadAverage,
        ],
      ],
    ),
    '',
    '## Configuration',
    '',
    `- The service: built with ${buildNote}, started as \`node ${relative(o.rootDir, join(o.rootDir, 'node_modules/.cache/rn-bench/dist/src/main.js'))}\` in a child process per measurement (APP_ROLE=all: API and jobs in one process, unless a configuration names one API process and its worker processes), fresh data each start, \`SMTP_ALLOW_PRIVATE_HOSTS=true\`, LOG_LEVEL=${o.logLevel} (logs to a file).`,
    ...backends.map(
      (b) => `- **${b.label}**: ${b.unavailable ? `skipped: ${b.unavailable}.` : b.describe}.`,
    ),
    '- Load generators, sinks and pollers run in the bench process; everything talks over 127.0.0.1.',
    '',
    sizesTable(o),
    '',
    '## Figures',
    '',
  );
  const figures = sections.flatMap((s) => s.figures);
  out.push(
    table(
      [
        'measurement',
        'figure',
        'configuration',
        'service',
        'baseline',
        'service ÷ baseline',
        'baseline is',
      ],
      figures.map((f) => [
        f.measurement,
        f.figure,
        f.configuration,
        `${fmt(f.project)} ${f.unit}`,
        f.baseline === undefined ? 'n/a' : `${fmt(f.baseline)} ${f.unit}`,
        f.baseline === undefined
          ? 'n/a'
          : `${ratio(f.project, f.baseline)} (${f.better} is better)`,
        f.baselineLabel ?? '',
      ]),
    ),
    '',
  );
  const curves = sections.flatMap((s) => s.curves);
  if (curves.length) {
    out.push(
      '## Growth',
      '',
      'Each curve is against its own smallest size, measured in the same run.',
      '',
    );
    for (const c of curves) {
      const base = c.points[0]?.value;
      const serverBase = c.points[0]?.server;
      const withServer = c.points.every((p) => p.server !== undefined);
      const extras = [...new Set(c.points.flatMap((p) => Object.keys(p.extra ?? {})))];
      const smallest = `${fmt(c.points[0]?.size ?? NaN)} ${c.sizeLabel}`;
      out.push(
        `### ${c.title}: ${c.configuration}`,
        '',
        table(
          [
            c.sizeLabel,
            c.unit,
            `÷ ${smallest}`,
            ...(withServer ? ['server ms (processedAt − createdAt)', `server ÷ ${smallest}`] : []),
            ...extras,
          ],
          c.points.map((p) => [
            fmt(p.size),
            fmt(p.value),
            ratio(p.value, base),
            ...(withServer ? [fmt(p.server!), ratio(p.server!, serverBase!)] : []),
            ...extras.map((e) => p.extra?.[e] ?? ''),
          ]),
        ),
        '',
      );
    }
  }
  out.push('## How each figure was measured', '');
  for (const s of sections) {
    out.push(
      `### ${s.name}${s.seconds !== undefined ? ` (${fmt(s.seconds)} s)` : ''}`,
      '',
      ...s.notes.map((n) => `- ${n}`),
    );
    if (s.problems.length)
      out.push('', '**Problems in this run:**', '', ...s.problems.map((p) => `- ${p}`));
    out.push('');
  }
  const findings = join(o.rootDir, 'bench', 'FINDINGS.md');
  out.push('## What the figures suggest improving', '');
  out.push(
    existsSync(findings)
      ? readFileSync(findings, 'utf8').trim()
      : '_No findings written yet (bench/FINDINGS.md)._',
    '',
  );
  const kept = handWrittenSections(o.output);
  if (kept) out.push(kept, '');
  return out.join('\n');
}

const GENERATED_SECTIONS = new Set([
  'Machine',
  'Configuration',
  'Figures',
  'Growth',
  'How each figure was measured',
  'What the figures suggest improving',
]);

/**
 * Sections people added to BENCHMARKS.md by hand (a before-and-after table, say) are carried
 * over from the previous file, so a new run does not erase them.
 */
function handWrittenSections(file: string): string {
  if (!existsSync(file)) return '';
  const previous = readFileSync(file, 'utf8');
  return previous
    .split(/^(?=## )/m)
    .filter(
      (part) =>
        part.startsWith('## ') && !GENERATED_SECTIONS.has(part.slice(3, part.indexOf('\n')).trim()),
    )
    .map((part) => part.trim())
    .join('\n\n');
}

async function main(): Promise<void> {
  const options = benchOptions();
  const machine = machineInfo();
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${fmt(machine.memoryGiB)} GiB, node ${machine.node}`,
  );
  const backends = await resolveBackends(options);
  for (const b of backends)
    log(`${b.label}: ${b.unavailable ? `SKIPPED: ${b.unavailable}` : b.describe}`);
  // Render and code claims run in the bench's own processes, without the built service.
  const needsApp = options.only.some((m) => m !== 'render' && m !== 'code-claims');
  let entry = '';
  let buildNote = 'nothing (only in-process measurements ran)';
  if (needsApp) {
    log('building the service');
    // BENCH_APP_ENTRY wins over BENCH_SKIP_BUILD, so that another build can be measured as is.
    const built = options.skipBuild
      ? {
          entry: appEntry(options.rootDir),
          note: process.env.BENCH_APP_ENTRY
            ? `the prebuilt ${process.env.BENCH_APP_ENTRY} (BENCH_SKIP_BUILD)`
            : 'the previous bench build (BENCH_SKIP_BUILD)',
        }
      : buildApp(options.rootDir);
    entry = built.entry;
    buildNote = built.note;
    log(`built: ${buildNote}`);
  }
  const ctx: BenchContext = { options, entry, logDir: logDirFor(options.rootDir), log };
  const sections: SectionResult[] = [];
  const steps: Array<[string, () => Promise<SectionResult>]> = [
    // In-process first, while nothing else runs.
    ['render', () => runRender(ctx)],
    ['ingest', () => runIngest(ctx, backends)],
    ['pipeline', () => runPipeline(ctx, backends)],
    ['scale', () => runScale(ctx, backends)],
    ['growth', () => runGrowth(ctx, backends)],
    ['inbound', () => runInbound(ctx, backends)],
    ['webhooks', () => runWebhooks(ctx, backends)],
    ['code-claims', () => runCodeClaims(ctx, backends)],
  ];
  for (const [name, step] of steps) {
    if (!options.only.includes(name as never)) continue;
    const t0 = Date.now();
    log(`== ${name}`);
    try {
      const section = await step();
      section.seconds = (Date.now() - t0) / 1000;
      sections.push(section);
    } catch (err) {
      const failed = emptySection(name[0].toUpperCase() + name.slice(1));
      failed.problems.push(`the measurement stopped: ${(err as Error).stack ?? String(err)}`);
      sections.push(failed);
      log(`${name} failed: ${(err as Error).message}`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(options.output, render(options, machine, backends, buildNote, sections, seconds));
  closeClients();
  log(
    `wrote ${relative(options.rootDir, options.output)} in ${fmt(seconds)} s; service logs in ${relative(options.rootDir, ctx.logDir)}`,
  );
  for (const s of sections)
    for (const p of s.problems) log(`problem (${s.name}): ${p.split('\n')[0]}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
