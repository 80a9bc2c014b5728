import Handlebars from 'handlebars';
import type { BenchContext } from './support/app';
import { emptySection, type SectionResult } from './support/report';
import { fmt, median, nowMs } from './support/stats';
import {
  DefaultTemplateStore,
  formattingLocale,
  resolveLocaleChain,
  sampleEmailData,
  TemplateRenderer,
  type OutputFormat,
} from '../src/templates/renderer';
import {
  DATE_FORMATS,
  registerTemplateHelpers,
  type RenderFrame,
} from '../src/templates/renderer/template-helpers';

const KEY = 'reward-earned';
const LOCALE = 'en';

interface Output {
  subject: string;
  html: string;
  text: string;
}

type Render = () => Output | Promise<Output>;

/**
 * The same work as TemplateRenderer.render written straight against Handlebars: the same sources
 * (template, layout, partials) compiled once with default options, the same helpers, the same data.
 */
function rawHandlebars(
  store: DefaultTemplateStore,
  data: Record<string, unknown>,
  cachedFormatters: boolean,
): Render {
  const hb = Handlebars.create();
  registerTemplateHelpers(hb);
  if (cachedFormatters) cacheFormatters(hb);
  const parts = store.get(KEY, LOCALE)!;
  const chain = resolveLocaleChain(LOCALE);
  const textOptions = { noEscape: true };
  const subject = hb.compile(parts.subject, textOptions);
  const html = hb.compile(parts.html);
  const text = parts.text ? hb.compile(parts.text, textOptions) : undefined;
  if (!text) throw new Error(`${KEY}/${LOCALE} has no text part; the raw baseline expects one`);
  const layout = {
    html: hb.compile(store.layout('html')),
    text: hb.compile(store.layout('text'), textOptions),
  };
  const partials = (format: OutputFormat) =>
    Object.fromEntries(
      store
        .partialNames(format)
        .map((name) => [
          name,
          hb.compile(
            store.partial(name, format, chain)!.source,
            format === 'html' ? {} : textOptions,
          ),
        ]),
    );
  const htmlPartials = partials('html');
  const textPartials = partials('text');
  const program = data.program as { timezone: string };
  const frame = (output: 'html' | 'text'): RenderFrame => ({
    locale: LOCALE,
    formatLocale: formattingLocale(LOCALE, chain),
    timeZone: program.timezone,
    output,
  });
  // The footer's unsubscribe link, as the renderer gives the layout of an email that has one.
  const unsubscribeUrl = (data.unsubscribeUrl as string | undefined) ?? null;
  const htmlFrame = frame('html');
  const textFrame = frame('text');
  return () => {
    const s = subject(data, { data: textFrame }).trim();
    const body = html(data, { data: htmlFrame, partials: htmlPartials });
    const fullHtml = layout.html(
      {
        content: new hb.SafeString(body.trim()),
        subject: s,
        program: data.program,
        unsubscribeUrl,
      },
      { data: htmlFrame, partials: htmlPartials },
    );
    const textBody = text(data, { data: textFrame }).trim();
    const fullText = layout
      .text(
        { content: textBody, subject: s, program: data.program, unsubscribeUrl },
        { data: textFrame, partials: textPartials },
      )
      .trim();
    return { subject: s, html: fullHtml, text: fullText };
  };
}

// The project's money and date helpers build a new Intl formatter per call; these keep one per
// locale and options, with the same output, to show what that costs.
function cacheFormatters(hb: typeof Handlebars): void {
  const numbers = new Map<string, Intl.NumberFormat>();
  const dates = new Map<string, Intl.DateTimeFormat>();
  hb.registerHelper('money', (amount: number, currency: string, options: { data: RenderFrame }) => {
    const k = `${options.data.formatLocale}|${currency}`;
    let f = numbers.get(k);
    if (!f)
      numbers.set(
        k,
        (f = new Intl.NumberFormat(options.data.formatLocale, { style: 'currency', currency })),
      );
    return f.format(amount);
  });
  hb.registerHelper('date', (value: string, format: string, options: { data: RenderFrame }) => {
    const k = `${options.data.formatLocale}|${options.data.timeZone}|${format}`;
    let f = dates.get(k);
    if (!f)
      dates.set(
        k,
        (f = new Intl.DateTimeFormat(options.data.formatLocale, {
          ...DATE_FORMATS[format],
          timeZone: options.data.timeZone,
        })),
      );
    return f.format(new Date(value));
  });
}

/** Renders per second over `ms`, awaiting each render as a caller would. */
async function throughput(render: Render, ms: number): Promise<number> {
  let count = 0;
  const start = nowMs();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++) await render();
    count += 50;
    elapsed = nowMs() - start;
  }
  return (count / elapsed) * 1000;
}

export async function runRender(ctx: BenchContext): Promise<SectionResult> {
  const section = emptySection('Render');
  const { renderRounds: rounds, renderRoundMs: roundMs } = ctx.options;
  const store = new DefaultTemplateStore();
  const renderer = new TemplateRenderer({ defaults: store });
  const data = sampleEmailData(KEY, LOCALE) as unknown as Record<string, unknown>;
  const project: Render = () =>
    renderer.render({ programId: null, key: KEY, locales: [LOCALE], data });
  const raw = rawHandlebars(store, data, false);
  const rawCached = rawHandlebars(store, data, true);

  // The baselines must produce exactly what the renderer produces, or the comparison is void.
  const expected = await project();
  for (const [name, candidate] of [
    ['raw Handlebars', raw],
    ['raw Handlebars, cached formatters', rawCached],
  ] as const) {
    const got = await candidate();
    const same =
      got.subject === expected.subject && got.html === expected.html && got.text === expected.text;
    if (!same)
      section.problems.push(
        `${name} does not render the same output as TemplateRenderer; its figure is not comparable.`,
      );
  }

  ctx.log(`render: warm-up, then ${rounds} rounds of ${roundMs} ms each`);
  for (const r of [project, raw, rawCached]) await throughput(r, Math.min(1000, roundMs));
  const results = { project: [] as number[], raw: [] as number[], rawCached: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // Interleaved, so drift (thermal, other processes) falls on all three alike.
    results.project.push(await throughput(project, roundMs));
    results.raw.push(await throughput(raw, roundMs));
    results.rawCached.push(await throughput(rawCached, roundMs));
  }
  const p = median(results.project);
  const b = median(results.raw);
  const bc = median(results.rawCached);
  section.figures.push(
    {
      measurement: 'Render',
      figure: `TemplateRenderer.render (${KEY}, ${LOCALE}, cached)`,
      configuration: 'in-process',
      unit: 'renders/s',
      project: p,
      baseline: b,
      baselineLabel: 'raw precompiled Handlebars, same helpers',
      better: 'higher',
    },
    {
      measurement: 'Render',
      figure: 'the same, against cached Intl formatters',
      configuration: 'in-process',
      unit: 'renders/s',
      project: p,
      baseline: bc,
      baselineLabel: 'raw precompiled Handlebars, money/date with cached Intl formatters',
      better: 'higher',
    },
  );
  section.notes.push(
    `The \`${KEY}\` default template in \`${LOCALE}\` with the sample data of its email type (sampleEmailData): subject, HTML body in the HTML layout with the footer partial, text body in the text layout. ${rounds} interleaved rounds of ${roundMs} ms after a warm-up; the median round. One render is ${fmt(expected.html.length + expected.text.length)} characters.`,
    "Baseline: the same sources compiled once with `Handlebars.compile` (default options) in an environment with the project's helpers, rendered with the same data; its output is checked to equal the renderer's. A second baseline replaces the money and date helpers by ones that keep their Intl formatters.",
    `Rounds (renders/s): renderer ${results.project.map((n) => fmt(n)).join(', ')}; raw ${results.raw.map((n) => fmt(n)).join(', ')}; raw with cached formatters ${results.rawCached.map((n) => fmt(n)).join(', ')}.`,
  );
  return section;
}
