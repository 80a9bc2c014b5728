import Handlebars from 'handlebars';
import {
  DefaultTemplateStore,
  type OutputFormat,
  type TemplateParts,
} from './default-template-store';
import { hasUnsubscribeUrl, isEmailTypeKey } from './email-types';
import { markAttributeLinks } from './html-context';
import { htmlToText } from './html-to-text';
import { formattingLocale, resolveLocaleChain } from './locale-fallback';
import {
  MAX_RENDERED_CHARS,
  RenderBudget,
  RenderLimitError,
  useCountingCompiler,
  type RenderLimit,
} from './render-budget';
import { requirePresent, requirePresentValues, useRequiredValues } from './required-values';
import {
  KNOWN_HELPERS,
  registerTemplateHelpers,
  TemplateValueMissing,
  type RenderFrame,
} from './template-helpers';
import { scanTemplate, type TemplateLimit } from './template-limits';
import type { TemplatePart } from './template-problems';
import type { TemplateOverride, TemplateSource } from './template-source';

export type { TemplatePart };

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface RenderInput {
  /** null renders defaults only (no program overrides). */
  programId: string | null;
  /** A system key (`verification`, ...) or a program's own key. */
  key: string;
  /** Best first, e.g. `resolveLocaleChain(participant.locale, program.defaultLocale)`; `en` is always tried last. */
  locales: readonly string[];
  /** Variables of the email type (see EMAIL_TYPES); `program.timezone` sets the time zone of dates. */
  data: Readonly<Record<string, unknown>>;
}

export interface RenderResult extends RenderedEmail {
  /** The template that was rendered: `generic` when a program key has no template in any locale. */
  key: string;
  locale: string;
  source: 'program' | 'default';
  version: string;
}

export interface TemplateRendererOptions {
  source?: TemplateSource;
  defaults?: DefaultTemplateStore;
  /** Compiled templates kept, least recently used dropped first. */
  cacheSize?: number;
  /**
   * Characters of template source whose compilations are kept, whatever their number (a worker
   * thread's heap is capped: programs' 200 KB templates must not fill it). Default: no bound.
   */
  cacheChars?: number;
}

export class TemplateNotFoundError extends Error {
  override readonly name = 'TemplateNotFoundError';
  readonly code = 'TEMPLATE_NOT_FOUND';

  constructor(
    readonly key: string,
    readonly locales: readonly string[],
  ) {
    super(`No template "${key}" in any of the locales ${locales.join(', ')}`);
  }
}

export type TemplateRenderErrorCode =
  'TEMPLATE_RENDER_FAILED' | 'TEMPLATE_RENDER_LIMIT' | 'TEMPLATE_DATA_MISSING';

export class TemplateRenderError extends Error {
  override readonly name: string = 'TemplateRenderError';
  readonly code: TemplateRenderErrorCode = 'TEMPLATE_RENDER_FAILED';

  constructor(
    readonly key: string,
    readonly locale: string,
    readonly source: 'program' | 'default' | 'draft',
    readonly part: TemplatePart | 'layout',
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`Template "${key}" (${locale}, ${source}) failed in its ${part} part: ${reason}`);
  }
}

/**
 * A render stopped because it asked for more than one render may have: output (the budget),
 * time or memory (the worker's caps), or a stored template over the limits of a save.
 */
export class TemplateRenderLimitError extends TemplateRenderError {
  override readonly name: string = 'TemplateRenderLimitError';
  override readonly code: TemplateRenderErrorCode = 'TEMPLATE_RENDER_LIMIT';

  constructor(
    key: string,
    locale: string,
    source: 'program' | 'default' | 'draft',
    part: TemplatePart | 'layout',
    reason: string,
    readonly limit: RenderLimit | TemplateLimit,
    line?: number,
    column?: number,
  ) {
    super(key, locale, source, part, reason, line, column);
  }
}

/**
 * A value the template shows is empty for this message (a required variable with no value, or
 * an optional one a template saved before the check uses bare): nothing is sent with a blank.
 */
export class TemplateDataMissingError extends TemplateRenderError {
  override readonly name: string = 'TemplateDataMissingError';
  override readonly code: TemplateRenderErrorCode = 'TEMPLATE_DATA_MISSING';
}

/** What a render needs to know of the template it renders (see TemplateRenderer.resolve). */
export interface ResolvedTemplate {
  key: string;
  locale: string;
  source: 'program' | 'default';
  version: string;
  parts: TemplateParts;
  /** Where its compilation is cached: owner, key, locale and version. */
  cacheKey: string;
}

export interface RenderHooks {
  /** Told before each part is rendered (a worker reports it, so a timeout names the part). */
  onPart?: (part: TemplatePart | 'layout') => void;
}

interface CompiledTemplate {
  subject: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
  text: HandlebarsTemplateDelegate | null;
  /** The HTML is a whole document (<html> or a doctype): no layout around it. */
  fullDocument: boolean;
  /** Compiled to charge every piece of output to the budget (a program's template). */
  counted: boolean;
  /** Characters of source it was compiled from, for cacheChars. */
  chars: number;
}

type Resolved = ResolvedTemplate;

const DEFAULT_VERSION = 'default';
const FULL_DOCUMENT = /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\b|html\b)/i;
// Partials the layout uses; a template body cannot include them.
const LAYOUT_PARTIALS = new Set(['footer']);

const HTML_OPTIONS: CompileOptions = {
  strict: true,
  knownHelpers: KNOWN_HELPERS,
  knownHelpersOnly: true,
};
// Subject and text are not HTML: escaping them would show `&amp;` to the reader.
const TEXT_OPTIONS: CompileOptions = { ...HTML_OPTIONS, noEscape: true };

function breaksLine(code: number): boolean {
  return code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029;
}

/** A subject is one header line: CR, LF and other control characters become spaces. */
export function singleLine(value: string): string {
  // Scans code units and copies only when something must change: almost every subject is clean.
  // None of these characters is a surrogate, so astral characters are never split.
  let line = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    if (breaksLine(value.charCodeAt(i))) {
      line += `${value.slice(from, i)} `;
      from = i + 1;
    }
  }
  line = from === 0 ? value : line + value.slice(from);
  return (line.includes('  ') ? line.replace(/ {2,}/g, ' ') : line).trim();
}

type Partials = Readonly<Record<string, HandlebarsTemplateDelegate>>;

/** What a render in one template locale needs from the reader's chain: the same every time. */
interface LocaleParts {
  formatLocale: string;
  /** Partials a template body may include. */
  body: Partials;
  /** The same, compiled to charge the budget, for programs' templates. */
  countedBody: Partials;
  /** Partials of the HTML and text layouts. */
  layoutHtml: Partials;
  layoutText: Partials;
}

/**
 * Everything that depends only on the list of locales a render is asked for: the resolved chain,
 * and per template locale the partials and formatting locale.
 */
interface LocalePlan {
  chain: readonly string[];
  byLocale: Map<string, LocaleParts>;
}

interface PlanNode {
  plan?: LocalePlan;
  next?: Map<unknown, PlanNode>;
}

// Lists of locales with a plan kept; beyond that all are dropped and rebuilt on use. Callers pass
// resolved chains (a handful of distinct lists), so this is only reached by unusual input.
const MAX_LOCALE_PLANS = 1000;
// Longer lists are resolved on every render instead of being kept.
const MAX_PLANNED_LOCALES = 12;
const NO_PARTIALS: Partials = Object.freeze({});
const LAYOUT_KEYS: Readonly<Record<OutputFormat, string>> = {
  html: 'layout|html',
  text: 'layout|text',
};

/**
 * Renders emails from Handlebars templates: program overrides (from a TemplateSource) or the
 * defaults on disk, with locale fallback, the shared layout, and a plain-text part.
 *
 * One isolated Handlebars environment; strict mode, so a variable the data lacks is an error
 * rather than a blank; prototype access stays at the Handlebars defaults (denied). Strict mode
 * does not check helper arguments (`{{#if x}}` must accept a null x): money, date and link
 * refuse a missing value themselves, and the validator checks every name against the contract.
 */
export class TemplateRenderer {
  /** The defaults, layouts and partials we ship: trusted, and rendered at full speed. */
  private readonly hb = Handlebars.create();
  /** Programs' templates (and drafts): every piece of output charged as it is written. */
  private readonly counted = Handlebars.create();
  private readonly source?: TemplateSource;
  private readonly defaults: DefaultTemplateStore;
  private readonly cacheSize: number;
  private readonly cacheChars: number;
  private cachedChars = 0;
  private readonly compiled = new Map<string, CompiledTemplate>();
  private readonly shared = new Map<string, HandlebarsTemplateDelegate>();
  /** The key last moved to the end of `compiled`. */
  private newest?: string;
  /** Defaults found, by key and locale. */
  private readonly defaultsResolved = new Map<string, Map<string, Resolved>>();
  // Plans by list of locales, one tree level per list entry, so any list is its own key.
  private plans: PlanNode = {};
  private planCount = 0;

  constructor(options: TemplateRendererOptions = {}) {
    this.source = options.source;
    this.defaults = options.defaults ?? new DefaultTemplateStore();
    this.cacheSize = options.cacheSize ?? 1000;
    this.cacheChars = options.cacheChars ?? Infinity;
    registerTemplateHelpers(this.hb);
    registerTemplateHelpers(this.counted, { counted: true });
    useCountingCompiler(this.counted);
    useRequiredValues(this.hb);
    useRequiredValues(this.counted);
  }

  /** The store of default templates, for listings (`GET /v1/templates`). */
  get defaultTemplates(): DefaultTemplateStore {
    return this.defaults;
  }

  /** How many compiled templates are cached now. */
  get cachedCount(): number {
    return this.compiled.size;
  }

  async render(input: RenderInput): Promise<RenderResult> {
    const plan = this.plan(input.locales);
    return this.renderWith(plan, await this.resolveWith(plan, input), input.data);
  }

  /**
   * The template a render of `input` uses, without rendering it: a program's override or the
   * default, in the first locale of the chain that has one (see render).
   */
  resolve(input: Pick<RenderInput, 'programId' | 'key' | 'locales'>): Promise<ResolvedTemplate> {
    return this.resolveWith(this.plan(input.locales), input);
  }

  /** Renders a template resolve() found, for the same locales: what render() does after it. */
  renderResolved(
    resolved: ResolvedTemplate,
    input: Pick<RenderInput, 'locales' | 'data'>,
    hooks: RenderHooks = {},
  ): RenderResult {
    return this.renderWith(this.plan(input.locales), resolved, input.data, hooks);
  }

  private async resolveWith(
    plan: LocalePlan,
    input: Pick<RenderInput, 'programId' | 'key'>,
  ): Promise<Resolved> {
    // Overrides are asked for on every render: the source's own cache decides how fresh they are.
    return input.programId !== null && this.source
      ? this.resolveOverride(this.source, input.programId, input.key, plan.chain)
      : this.resolveDefault(isEmailTypeKey(input.key) ? input.key : 'generic', plan.chain);
  }

  private renderWith(
    plan: LocalePlan,
    resolved: Resolved,
    data: Readonly<Record<string, unknown>>,
    hooks: RenderHooks = {},
  ): RenderResult {
    const fail: Fail = (part, reason, line, column, limit) =>
      renderError(
        resolved.key,
        resolved.locale,
        resolved.source,
        part,
        reason,
        line,
        column,
        limit,
      );
    const compiled = this.cached(resolved, fail);
    const rendered = this.renderCompiled(
      resolved.key,
      compiled,
      data,
      resolved.locale,
      plan,
      fail,
      hooks,
    );
    const { key, locale, source, version } = resolved;
    return {
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      key,
      locale,
      source,
      version,
    };
  }

  /** Renders template parts that are not stored (a draft), with no caching. */
  renderParts(
    parts: TemplateParts,
    options: { key: string; locales: readonly string[]; data: Readonly<Record<string, unknown>> },
  ): RenderedEmail {
    const plan = this.plan(options.locales);
    const locale = plan.chain[0];
    const fail: Fail = (part, reason, line, column, limit) =>
      renderError(options.key, locale, 'draft', part, reason, line, column, limit);
    return this.renderCompiled(
      options.key,
      this.compile(parts, true, fail),
      options.data,
      locale,
      plan,
      fail,
    );
  }

  /** Drops a program's compiled templates: all of them, one key, or one key in one locale. */
  invalidate(programId: string, key?: string, locale?: string): number {
    let dropped = 0;
    for (const cacheKey of [...this.compiled.keys()]) {
      const [owner, k, l] = cacheKey.split('\u0001');
      if (
        owner === `program:${programId}` &&
        (key === undefined || k === key) &&
        (locale === undefined || l === locale)
      ) {
        this.drop(cacheKey);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every compiled template, defaults included (the files are not read again). */
  clear(): void {
    this.compiled.clear();
    this.cachedChars = 0;
    this.shared.clear();
    this.defaultsResolved.clear();
    // Plans hold compiled partials.
    this.plans = {};
    this.planCount = 0;
  }

  /** The plan for this list of locales, built on first use. */
  private plan(locales: readonly (string | null | undefined)[]): LocalePlan {
    if (locales.length > MAX_PLANNED_LOCALES) return this.newPlan(locales);
    let node = this.plans;
    for (const value of locales) {
      node.next ??= new Map();
      let next = node.next.get(value);
      if (!next) node.next.set(value, (next = {}));
      node = next;
    }
    if (node.plan) return node.plan;
    if (this.planCount >= MAX_LOCALE_PLANS) {
      this.plans = {};
      this.planCount = 0;
      return this.plan(locales);
    }
    this.planCount++;
    return (node.plan = this.newPlan(locales));
  }

  private newPlan(locales: readonly (string | null | undefined)[]): LocalePlan {
    return { chain: Object.freeze(resolveLocaleChain(...locales)), byLocale: new Map() };
  }

  /** Partials and formatting locale for a template in `locale` read by the plan's chain. */
  private localeParts(plan: LocalePlan, locale: string): LocaleParts {
    let parts = plan.byLocale.get(locale);
    if (!parts) {
      // Partials and formats follow the template's locale first, then the reader's chain.
      const partialChain = [locale, ...plan.chain.filter((l) => l !== locale)];
      parts = {
        formatLocale: formattingLocale(locale, plan.chain),
        body: this.partials('html', partialChain, false, false),
        countedBody: this.partials('html', partialChain, false, true),
        layoutHtml: this.partials('html', partialChain, true, false),
        layoutText: this.partials('text', partialChain, true, false),
      };
      plan.byLocale.set(locale, parts);
    }
    return parts;
  }

  private async resolveOverride(
    source: TemplateSource,
    programId: string,
    key: string,
    chain: readonly string[],
  ): Promise<Resolved> {
    if (!isEmailTypeKey(key)) {
      // A program's own key: its template in any locale beats the generic fallback body.
      for (const locale of chain) {
        const found = await source.getOverride(programId, key, locale);
        if (found) return fromOverride(programId, key, locale, found);
      }
      return this.resolveOverride(source, programId, 'generic', chain);
    }
    // A system key: the reader's language first, the program's wording second.
    for (const locale of chain) {
      const found = await source.getOverride(programId, key, locale);
      if (found) return fromOverride(programId, key, locale, found);
      const fallback = this.fromDefaults(key, locale);
      if (fallback) return fallback;
    }
    throw new TemplateNotFoundError(key, [...chain]);
  }

  /** A system key with no program: the first locale of the chain that has a default. */
  private resolveDefault(key: string, chain: readonly string[]): Resolved {
    for (const locale of chain) {
      const found = this.fromDefaults(key, locale);
      if (found) return found;
    }
    throw new TemplateNotFoundError(key, [...chain]);
  }

  private fromDefaults(key: string, locale: string): Resolved | undefined {
    const known = this.defaultsResolved.get(key)?.get(locale);
    if (known) return known;
    const parts = this.defaults.get(key, locale);
    if (!parts) return undefined;
    // Defaults are compiled once for every program; a program's id can never collide with them.
    const cacheKey = compileCacheKey('default', key, locale, DEFAULT_VERSION);
    const resolved: Resolved = {
      key,
      locale,
      source: 'default',
      version: DEFAULT_VERSION,
      parts,
      cacheKey,
    };
    // Only what the store has is kept, so this stays as small as the store.
    let byLocale = this.defaultsResolved.get(key);
    if (!byLocale) this.defaultsResolved.set(key, (byLocale = new Map()));
    byLocale.set(locale, resolved);
    return resolved;
  }

  private cached(resolved: Resolved, fail: Fail): CompiledTemplate {
    const { cacheKey } = resolved;
    const hit = this.compiled.get(cacheKey);
    if (hit) {
      // Least recently used goes first: move this one to the end, unless it is there already.
      if (this.newest !== cacheKey) {
        this.compiled.delete(cacheKey);
        this.compiled.set(cacheKey, hit);
        this.newest = cacheKey;
      }
      return hit;
    }
    const compiled = this.compile(resolved.parts, resolved.source !== 'default', fail);
    this.compiled.set(cacheKey, compiled);
    this.cachedChars += compiled.chars;
    this.newest = cacheKey;
    while (
      this.compiled.size > 1 &&
      (this.compiled.size > this.cacheSize || this.cachedChars > this.cacheChars)
    )
      this.drop(this.compiled.keys().next().value as string);
    return compiled;
  }

  private drop(cacheKey: string): void {
    const entry = this.compiled.get(cacheKey);
    if (!entry) return;
    this.compiled.delete(cacheKey);
    this.cachedChars -= entry.chars;
  }

  /**
   * Compiles the parts of a template; `counted` for a program's (or a draft), whose size and
   * shape are checked against the limits of a save first (a template stored before those limits
   * existed, or written to the database by hand, never reaches the parser), and whose code
   * charges every piece of output to the render's budget.
   */
  private compile(parts: TemplateParts, counted: boolean, fail: Fail): CompiledTemplate {
    const sources = [
      ['subject', parts.subject],
      ['html', parts.html],
      ['text', parts.text],
    ] as const;
    if (counted) {
      for (const [part, source] of sources) {
        if (typeof source !== 'string') continue;
        const [first] = scanTemplate(part, source).problems;
        if (first) throw fail(part, first.message, first.line, first.column, first.limit);
      }
    }
    const hb = counted ? this.counted : this.hb;
    return {
      subject: hb.compile(parseBody(hb, 'subject', parts.subject, fail), TEXT_OPTIONS),
      html: this.compileHtml(hb, 'html', parts.html, fail),
      text: parts.text ? hb.compile(parseBody(hb, 'text', parts.text, fail), TEXT_OPTIONS) : null,
      fullDocument: FULL_DOCUMENT.test(parts.html),
      counted,
      chars: parts.subject.length + parts.html.length + (parts.text?.length ?? 0),
    };
  }

  /** HTML is compiled from its parsed form, with each {{link}} inside an attribute marked. */
  private compileHtml(
    hb: typeof Handlebars,
    part: TemplatePart | 'layout',
    source: string,
    fail: Fail,
  ): HandlebarsTemplateDelegate {
    let ast: hbs.AST.Program;
    try {
      // Without whitespace control: compile() applies it, once.
      ast = hb.parseWithoutProcessing(source);
    } catch (err) {
      const { reason, line, column } = explain(err);
      throw fail(part, reason, line, column);
    }
    markAttributeLinks(source, ast, scanTemplate('html', source).tags);
    // A template's own values must not be empty; the layout and partials decide for themselves.
    if (part !== 'layout') requirePresentValues(ast);
    return hb.compile(ast, HTML_OPTIONS);
  }

  private sharedTemplate(
    cacheKey: string,
    source: string,
    format: OutputFormat,
    counted = false,
  ): HandlebarsTemplateDelegate {
    const key = counted ? `counted|${cacheKey}` : cacheKey;
    let template = this.shared.get(key);
    if (!template) {
      const hb = counted ? this.counted : this.hb;
      template =
        format === 'html'
          ? this.compileHtml(hb, 'layout', source, (part, reason) => {
              // Ours: a broken layout or partial is a bug of this repository, not of a program.
              throw new Error(`${cacheKey} does not compile: ${reason}`);
            })
          : hb.compile(source, TEXT_OPTIONS);
      this.shared.set(key, template);
    }
    return template;
  }

  private layout(format: OutputFormat): HandlebarsTemplateDelegate {
    return (
      this.shared.get(LAYOUT_KEYS[format]) ??
      this.sharedTemplate(LAYOUT_KEYS[format], this.defaults.layout(format), format)
    );
  }

  private partials(
    format: OutputFormat,
    chain: readonly string[],
    forLayout: boolean,
    counted: boolean,
  ): Partials {
    const out: Record<string, HandlebarsTemplateDelegate> = {};
    for (const name of this.defaults.partialNames(format)) {
      if (LAYOUT_PARTIALS.has(name) !== forLayout) continue;
      const found = this.defaults.partial(name, format, chain);
      if (found)
        out[name] = this.sharedTemplate(
          `partial|${name}|${format}|${found.locale}`,
          found.source,
          format,
          counted,
        );
    }
    // Shared by every render of the plan: nothing may add to it.
    return Object.freeze(out);
  }

  private renderCompiled(
    key: string,
    compiled: CompiledTemplate,
    data: Readonly<Record<string, unknown>>,
    locale: string,
    plan: LocalePlan,
    fail: Fail,
    hooks: RenderHooks = {},
  ): RenderedEmail {
    const parts = this.localeParts(plan, locale);
    const program = (data.program ?? {}) as { timezone?: unknown };
    const at: FrameBase = {
      locale,
      formatLocale: parts.formatLocale,
      timeZone: typeof program.timezone === 'string' && program.timezone ? program.timezone : 'UTC',
      budget: new RenderBudget(compiled.counted),
      onPart: hooks.onPart,
    };
    // The layout is ours, and what it wraps was counted as it was written: it gets a budget of
    // its own, by list item only, as the defaults have.
    const layoutAt: FrameBase = compiled.counted ? { ...at, budget: new RenderBudget(false) } : at;

    const subject = singleLine(
      run('subject', compiled.subject, data, at, 'text', NO_PARTIALS, fail),
    );
    const bodyPartials = compiled.counted ? parts.countedBody : parts.body;
    const body = run('html', compiled.html, data, at, 'html', bodyPartials, fail);
    // The footer's unsubscribe link: only for an email type that has one, so no data given to
    // a transactional email can put one under it.
    const unsubscribeUrl = hasUnsubscribeUrl(key) ? (data.unsubscribeUrl ?? null) : null;
    const layoutContext = (content: string | Handlebars.SafeString) => ({
      content,
      subject,
      program: data.program,
      unsubscribeUrl,
    });
    const html = compiled.fullDocument
      ? body
      : run(
          'layout',
          this.layout('html'),
          layoutContext(new this.hb.SafeString(body.trim())),
          layoutAt,
          'html',
          parts.layoutHtml,
          fail,
        );

    let text: string;
    if (!compiled.text) {
      at.onPart?.('text');
      text = htmlToText(html);
    } else {
      const textBody = run('text', compiled.text, data, at, 'text', NO_PARTIALS, fail).trim();
      text = compiled.fullDocument
        ? textBody
        : run(
            'layout',
            this.layout('text'),
            layoutContext(textBody),
            layoutAt,
            'text',
            parts.layoutText,
            fail,
          ).trim();
    }
    return { subject, html, text };
  }
}

/** A subject or text part, parsed, with its bare values required (see requirePresentValues). */
function parseBody(
  hb: typeof Handlebars,
  part: TemplatePart,
  source: string,
  fail: Fail,
): hbs.AST.Program {
  try {
    // Without whitespace control: compile() applies it, once.
    return requirePresentValues(hb.parseWithoutProcessing(source));
  } catch (err) {
    const { reason, line, column } = explain(err);
    throw fail(part, reason, line, column);
  }
}

type Fail = (
  part: TemplatePart | 'layout',
  reason: string,
  line?: number,
  column?: number,
  /** 'data': an empty value (TEMPLATE_DATA_MISSING). */
  limit?: RenderLimit | TemplateLimit | 'data',
) => TemplateRenderError;

function renderError(
  key: string,
  locale: string,
  source: 'program' | 'default' | 'draft',
  part: TemplatePart | 'layout',
  reason: string,
  line?: number,
  column?: number,
  limit?: RenderLimit | TemplateLimit | 'data',
): TemplateRenderError {
  if (limit === 'data')
    return new TemplateDataMissingError(key, locale, source, part, reason, line, column);
  return limit
    ? new TemplateRenderLimitError(key, locale, source, part, reason, limit, line, column)
    : new TemplateRenderError(key, locale, source, part, reason, line, column);
}

/** The frame of one render without its output: every part of the render shares its budget. */
type FrameBase = Omit<RenderFrame, 'output'> & {
  budget: RenderBudget;
  onPart?: RenderHooks['onPart'];
};

function fromOverride(
  programId: string,
  key: string,
  locale: string,
  found: TemplateOverride,
): Resolved {
  const { version: raw, ...parts } = found;
  const version = String(raw);
  return {
    key,
    locale,
    source: 'program',
    version,
    parts,
    cacheKey: compileCacheKey(`program:${programId}`, key, locale, version),
  };
}

function compileCacheKey(owner: string, key: string, locale: string, version: string): string {
  return `${owner}\u0001${key}\u0001${locale}\u0001${version}`;
}

function run(
  part: TemplatePart | 'layout',
  template: HandlebarsTemplateDelegate,
  context: unknown,
  at: FrameBase,
  output: 'html' | 'text',
  partials: Partials,
  fail: Fail,
): string {
  at.onPart?.(part);
  try {
    const frame: RenderFrame = {
      locale: at.locale,
      formatLocale: at.formatLocale,
      timeZone: at.timeZone,
      output,
      budget: at.budget,
      present: requirePresent,
    };
    const out = template(context, { data: frame, partials });
    // A long value used many times can still make a huge part; stop before it is used.
    if (out.length > MAX_RENDERED_CHARS)
      throw new RenderLimitError(
        `the result is longer than ${MAX_RENDERED_CHARS.toLocaleString('en')} characters; use long values fewer times`,
      );
    return out;
  } catch (err) {
    if (err instanceof TemplateValueMissing)
      throw fail(part, err.message, err.line, err.column, 'data');
    const { reason, line, column } = explain(err);
    throw fail(part, reason, line, column, err instanceof RenderLimitError ? err.limit : undefined);
  }
}

/** A reason a person can act on, from what Handlebars or a helper threw. */
function explain(err: unknown): { reason: string; line?: number; column?: number } {
  const e = err as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const line = typeof e?.lineNumber === 'number' ? e.lineNumber : undefined;
  const column = typeof e?.column === 'number' ? e.column + 1 : undefined;
  const missing = /^"(.+)" not defined in .*? - \d+:\d+$/s.exec(message);
  if (missing) {
    const where = line !== undefined ? ` (line ${line}, column ${column})` : '';
    return { reason: `the data has no variable "${missing[1]}"${where}`, line, column };
  }
  const ofNull = /^Cannot read propert(?:y|ies) of (?:undefined|null) \(reading '(.+)'\)$/.exec(
    message,
  );
  if (ofNull) {
    // Strict mode reads helper arguments without a null check: `{{#if a.b}}` with `a` null.
    return {
      reason: `a value on the way to "${ofNull[1]}" is null or missing; check it first with {{#if}}`,
      line,
      column,
    };
  }
  return { reason: message.replace(/ - \d+:\d+$/, ''), line, column };
}
