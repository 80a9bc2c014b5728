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
}

function serverMs(event: EventStatus): number | undefined {
  const start = event.createdAt ?? event.receivedAt;
  const end = event.processedAt;
  if (typeof start !== 'string' || typeof end !== 'string') return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? ms : undefined;
}

/** One event at a time, POST to processed, so each timing is one event's cost and no queueing. */
async function timeEvents(
  api: ApiClient,
  count: number,
  makeBody: (i: number) => Record<string, unknown>,
  tag: string,
): Promise<Timing> {
  const times: number[] = [];
  const server: number[] = [];
  let failed = 0;
  const run = randomBytes(4).toString('hex');
  for (let i = 0; i < count; i++) {
    const t0 = nowMs();
    const accepted = await postEvent(api, makeBody(i), `${tag}-${run}-${i}`);
    const done = await waitProcessed(api, accepted.id);
    times.push(nowMs() - t0);
    if (done.status !== 'processed') failed++;
    const s = serverMs(done);
    if (s !== undefined) server.push(s);
  }
  return {
    meanMs: mean(times),
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
    failed,
    serverMeanMs: server.length === times.length ? mean(server) : undefined,
  };
}

function timingColumns(t: Timing): Record<string, string> {
  return {
    'p50 ms': fmt(t.p50Ms),
    'p95 ms': fmt(t.p95Ms),
    ...(t.serverMeanMs !== undefined ? { 'server mean ms': fmt(t.serverMeanMs) } : {}),
    ...(t.failed ? { failed: String(t.failed) } : {}),
  };
}

/** Cost per event as the program's rules grow, exactly one of them on the event's type. */
async function rulesCurve(
  ctx: BenchContext,
  backend: Backend,
  section: SectionResult,
): Promise<void> {
  const sizes = [...ctx.options.growthRuleCounts].sort((a, b) => a - b);
  const app = await startApp(ctx, backend, 'growth-rules');
  try {
    const { api } = await app.newProgram({ name: 'Growth bench: rules' });
    const template = await ensureTemplate(api);
    await api.call(
      'POST',
      '/v1/rules',
      {
        ...emailRule('Bench: the one that matches', 'bench.growth', template.key),
        conditions: CONDITIONS,
      },
      [201],
    );
    let rules = 1;
    const curve: Curve = {
      title: 'Cost per event by rules in the program (one on its type)',
      configuration: backend.label,
      sizeLabel: 'rules',
      unit: 'ms per event (mean)',
      points: [],
    };
    for (const size of sizes) {
      ctx.log(`growth: ${size} rules on ${backend.label}`);
      for (; rules < size; rules++) {
        await api.call(
          'POST',
          '/v1/rules',
          {
            ...emailRule(`Bench: other rule ${rules}`, `bench.other.${rules}`, template.key),
            conditions: CONDITIONS,
          },
          [201],
        );
      }
      const body = (i: number) => eventBody('bench.growth', `growth-${i % 20}`, { amount: 42 });
      // Warm the rule cache and the code paths for this size first.
      await timeEvents(api, 10, body, `warm${size}`);
      const t = await timeEvents(api, ctx.options.growthEvents, body, `rules${size}`);
      ctx.log(`  ${size} rules: ${fmt(t.meanMs)} ms per event`);
      curve.points.push({ size, value: t.meanMs, extra: timingColumns(t) });
    }
    section.curves.push(curve);
    section.notes.push(
      `Rules curve on ${backend.label}: the matching rule sends ${template.note} by the built-in sender (.eml files); the others are on other event types; every rule has one condition. ${ctx.options.growthEvents} events per size, one at a time, after 10 warm-up events; polled every 2 ms.`,
    );
  } finally {
    await app.stop();
  }
}

/** Cost of writing one more reward (and its W-9 running total) as the participant's rewards grow. */
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
    const curve: Curve = {
      title: 'Cost of one more reward (W-9 running total) by earlier rewards of the participant',
      configuration: backend.label,
      sizeLabel: 'earlier rewards',
      unit: 'ms per reward write (mean)',
      points: [],
    };
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
      const seeded = await seedRewards(app.store, program.id, participantId, size);
      seedNote = seeded.note;
      const body = () => eventBody('bench.w9', participantId, { amount: 42 });
      await timeEvents(api, 3, body, `w9warm${size}`);
      const t = await timeEvents(api, ctx.options.w9Writes, body, `w9-${size}`);
      ctx.log(
        `  ${size} rewards: ${fmt(t.meanMs)} ms per reward write (seeded in ${fmt(seeded.seconds)} s)`,
      );
      const summary: { totalUsd?: number } = await api
        .call<{ totalUsd?: number }>('GET', `/v1/participants/${participantId}/tax-summary`)
        .catch(() => ({}));
      curve.points.push({
        size,
        value: t.meanMs,
        extra: {
          ...timingColumns(t),
          'seed s': fmt(seeded.seconds),
          ...(summary.totalUsd !== undefined ? { 'year total USD': fmt(summary.totalUsd) } : {}),
        },
      });
    }
    section.curves.push(curve);
    section.notes.push(
      `W-9 curve on ${backend.label}: earlier rewards seeded straight into the database (${seedNote}); then ${ctx.options.w9Writes} events through the real path (rule → cash reward of 1 USD → W-9 running total in the same transaction), one at a time, POST to processed, after 3 warm-up events. Threshold set out of reach so no notice is sent.`,
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
