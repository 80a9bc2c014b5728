import { randomBytes } from 'node:crypto';
import { eventBody, type ApiClient } from './support/api';
import { startApp, type BenchContext } from './support/app';
import type { Backend } from './support/backends';
import {
  emailRule,
  ensureTemplate,
  postEvent,
  waitProcessed,
  type EventStatus,
} from './support/program-setup';
import { emptySection, type Curve, type SectionResult } from './support/report';
import { seedRewards } from './support/seed';
import { fmt, mean, nowMs, percentile } from './support/stats';

const CONDITIONS = {
  all: [{ fact: 'event', path: '$.amount', operator: 'greaterThanInclusive', value: 1 }],
};

interface Timing {
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  failed: number;
  /** Server-side time from the event's own timestamps, when it reports them. */
  serverMeanMs?: number;
  /** The first event that did not do what the curve assumes. */
  unexpected?: string;
}

interface Sample {
  ms: number;
  serverMs?: number;
  processed: boolean;
  unexpected?: string;
}

function serverMs(event: EventStatus): number | undefined {
  const start = event.createdAt ?? event.receivedAt;
  const end = event.processedAt;
  if (typeof start !== 'string' || typeof end !== 'string') return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? ms : undefined;
}

// A timing only means something if the event did what the curve assumes: one rule matched,
// and its one action wrote its effect.
function checkResults(event: EventStatus): string | undefined {
  const results = Array.isArray(event.results)
    ? (event.results as Array<{
        matched?: boolean;
        actions?: Array<{ outcome?: string; reason?: string }>;
      }>)
    : undefined;
  if (!results) return `event ${event.id} has no results`;
  const matched = results.filter((r) => r.matched);
  if (matched.length !== 1) return `event ${event.id}: ${matched.length} rules matched, expected 1`;
  const action = matched[0].actions?.[0];
  if (action?.outcome !== 'written')
    return `event ${event.id}: the action was ${action?.outcome ?? 'absent'}${action?.reason ? ` (${action.reason})` : ''}`;
  return undefined;
}

/** One event, POST to processed, nothing else in flight: its cost and no queueing. */
async function timeOne(
  api: ApiClient,
  body: Record<string, unknown>,
  key: string,
): Promise<Sample> {
  const t0 = nowMs();
  const accepted = await postEvent(api, body, key);
  const done = await waitProcessed(api, accepted.id);
  const ms = nowMs() - t0;
  return {
    ms,
    serverMs: serverMs(done),
    processed: done.status === 'processed',
    unexpected: checkResults(done),
  };
}

/**
 * Times `rounds` events per target, round-robin over the targets, so drift (the JIT warming up,
 * other load, a checkpoint) falls on every size alike instead of on whichever is measured first.
 */
async function interleaved<T>(
  targets: T[],
  rounds: number,
  one: (target: T, round: number) => Promise<Sample>,
): Promise<Sample[][]> {
  const samples = targets.map(() => [] as Sample[]);
  for (let round = 0; round < rounds; round++) {
    for (let t = 0; t < targets.length; t++) samples[t].push(await one(targets[t], round));
  }
  return samples;
}

function summarize(samples: Sample[]): Timing {
  const times = samples.map((s) => s.ms);
  const server = samples.flatMap((s) => (s.serverMs === undefined ? [] : [s.serverMs]));
  return {
    meanMs: mean(times),
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    failed: samples.filter((s) => !s.processed).length,
    serverMeanMs: server.length === samples.length ? mean(server) : undefined,
    unexpected: samples.find((s) => s.unexpected)?.unexpected,
  };
}

function timingColumns(t: Timing): Record<string, string> {
  return {
    'p50 ms': fmt(t.p50Ms),
    'p95 ms': fmt(t.p95Ms),
    ...(t.failed ? { failed: String(t.failed) } : {}),
  };
}

const WARM_UP_ROUNDS = 20;

/** Cost per event by the number of rules in its program, exactly one of them on the event's type. */
async function rulesCurve(
  ctx: BenchContext,
  backend: Backend,
  section: SectionResult,
): Promise<void> {
  const sizes = [...ctx.options.growthRuleCounts].sort((a, b) => a - b);
  const app = await startApp(ctx, backend, 'growth-rules');
  try {
    // One program per size, side by side in one app and one database, measured in turns.
    const programs: Array<{ size: number; api: ApiClient }> = [];
    let templateNote = '';
    for (const size of sizes) {
      ctx.log(`growth: a program with ${size} rules on ${backend.label}`);
      const { api } = await app.newProgram({ name: `Growth bench: ${size} rules` });
      const template = await ensureTemplate(api);
      templateNote = template.note;
      await api.call(
        'POST',
        '/v1/rules',
        {
          ...emailRule('Bench: the one that matches', 'bench.growth', template.key),
          conditions: CONDITIONS,
        },
        [201],
      );
      for (let i = 1; i < size; i++) {
        await api.call(
          'POST',
          '/v1/rules',
          {
            ...emailRule(`Bench: other rule ${i}`, `bench.other.${i}`, template.key),
            conditions: CONDITIONS,
          },
          [201],
        );
      }
      programs.push({ size, api });
    }
    const run = randomBytes(4).toString('hex');
    const one = (tag: string) => (p: { size: number; api: ApiClient }, round: number) =>
      timeOne(
        p.api,
        eventBody('bench.growth', `growth-${round % 20}`, { amount: 42 }),
        `${tag}-${run}-${p.size}-${round}`,
      );
    await interleaved(programs, WARM_UP_ROUNDS, one('warm'));
    const samples = await interleaved(programs, ctx.options.growthEvents, one('rules'));
    const curve: Curve = {
      title: 'Cost per event by rules in the program (one on its type)',
      configuration: backend.label,
      sizeLabel: 'rules',
      unit: 'ms per event (mean)',
      points: [],
    };
    programs.forEach((p, i) => {
      const t = summarize(samples[i]);
      ctx.log(`  ${p.size} rules: ${fmt(t.meanMs)} ms per event`);
      if (t.unexpected)
        section.problems.push(`rules curve on ${backend.label}, ${p.size} rules: ${t.unexpected}`);
      curve.points.push({
        size: p.size,
        value: t.meanMs,
        server: t.serverMeanMs,
        extra: timingColumns(t),
      });
    });
    section.curves.push(curve);
    section.notes.push(
      `Rules curve on ${backend.label}: one program per size in the same app; in each, the matching rule sends ${templateNote} by the built-in sender (.eml files), the others listen to other event types, and every rule has one condition. ${ctx.options.growthEvents} events per size, one at a time and in turns across the sizes, after ${WARM_UP_ROUNDS} warm-up turns; polled every 2 ms.`,
    );
  } finally {
    await app.stop();
  }
}

/** Cost of writing one more reward (and its W-9 running total) by the participant's earlier rewards. */
async function w9Curve(ctx: BenchContext, backend: Backend, section: SectionResult): Promise<void> {
  const sizes = [...ctx.options.w9RewardCounts].sort((a, b) => a - b);
  const app = await startApp(ctx, backend, 'growth-w9');
  try {
    // A threshold no seeded total reaches: every write runs the check, none sends a notice.
    const { program, api } = await app.newProgram({
      name: 'Growth bench: W-9',
      settings: { w9ThresholdUsd: 1_000_000_000 },
    });
    await api.call(
      'POST',
      '/v1/rules',
      {
        name: 'Bench: one dollar per event',
        event: 'bench.w9',
        actions: [
          {
            type: 'reward',
            to: 'participant',
            kind: 'cash',
            amount: 1,
            currency: 'USD',
            email: false,
          },
        ],
      },
      [201],
    );
    const seeded: Array<{ size: number; participantId: string; seconds: number }> = [];
    let seedNote = '';
    for (const size of sizes) {
      const participantId = `w9-${size}`;
      await api.call(
        'PUT',
        `/v1/participants/${participantId}`,
        { email: `${participantId}@bench.example`, firstName: 'Bench', country: 'US' },
        [200, 201],
      );
      ctx.log(`growth: seeding ${size} rewards on ${backend.label}`);
      const done = await seedRewards(
        ctx.options.rootDir,
        app.store,
        program.id,
        participantId,
        size,
      );
      seedNote = done.note;
      seeded.push({ size, participantId, seconds: done.seconds });
    }
    const run = randomBytes(4).toString('hex');
    const one = (tag: string) => (p: { size: number; participantId: string }, round: number) =>
      timeOne(
        api,
        eventBody('bench.w9', p.participantId, { amount: 42 }),
        `${tag}-${run}-${p.size}-${round}`,
      );
    await interleaved(seeded, 5, one('w9warm'));
    const samples = await interleaved(seeded, ctx.options.w9Writes, one('w9'));
    const curve: Curve = {
      title: 'Cost of one more reward (W-9 running total) by earlier rewards of the participant',
      configuration: backend.label,
      sizeLabel: 'earlier rewards',
      unit: 'ms per reward write (mean)',
      points: [],
    };
    for (const [i, p] of seeded.entries()) {
      const t = summarize(samples[i]);
      ctx.log(
        `  ${p.size} rewards: ${fmt(t.meanMs)} ms per reward write (seeded in ${fmt(p.seconds)} s)`,
      );
      if (t.unexpected)
        section.problems.push(`W-9 curve on ${backend.label}, ${p.size} rewards: ${t.unexpected}`);
      const summary: { totalUsd?: number } = await api
        .call<{ totalUsd?: number }>('GET', `/v1/participants/${p.participantId}/tax-summary`)
        .catch(() => ({}));
      curve.points.push({
        size: p.size,
        value: t.meanMs,
        server: t.serverMeanMs,
        extra: {
          ...timingColumns(t),
          'seed s': fmt(p.seconds),
          ...(summary.totalUsd !== undefined ? { 'year total USD': fmt(summary.totalUsd) } : {}),
        },
      });
    }
    section.curves.push(curve);
    section.notes.push(
      `W-9 curve on ${backend.label}: one participant per size, earlier rewards seeded straight into the database (${seedNote}); then ${ctx.options.w9Writes} events per participant through the real path (rule → cash reward of 1 USD → W-9 running total and payout-reminder check in the same transaction), one at a time and in turns across the sizes, after 5 warm-up turns. Threshold set out of reach so no notice is sent; the year total column checks that the running total counts the seeded rewards.`,
    );
  } finally {
    await app.stop();
  }
}

export async function runGrowth(ctx: BenchContext, backends: Backend[]): Promise<SectionResult> {
  const section = emptySection('Growth');
  for (const backend of backends) {
    if (backend.unavailable) continue;
    for (const curve of [rulesCurve, w9Curve]) {
      try {
        await curve(ctx, backend, section);
      } catch (err) {
        section.problems.push(
          `${curve === rulesCurve ? 'rules' : 'W-9'} curve on ${backend.label}: ${(err as Error).message}`,
        );
      }
    }
  }
  return section;
}
