import Handlebars from 'handlebars';
import { DefaultTemplateStore, type OutputFormat, type TemplateParts } from './default-template-store';
import { isEmailTypeKey } from './email-types';
import { htmlToText } from './html-to-text';
import { formattingLocale, resolveLocaleChain } from './locale-fallback';
import { KNOWN_HELPERS, MAX_RENDERED_CHARS, registerTemplateHelpers, type RenderFrame } from './template-helpers';
import type { TemplateSource } from './template-source';

export type TemplatePart = 'subject' | 'html' | 'text';

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

export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
  readonly code = 'TEMPLATE_RENDER_FAILED';

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

interface CompiledTemplate {
  subject: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
  text: HandlebarsTemplateDelegate | null;
  /** The HTML is a whole document (<html> or a doctype): no layout around it. */
  fullDocument: boolean;
}

interface Resolved {
  key: string;
  locale: string;
  source: 'program' | 'default';
  version: string;
  parts: TemplateParts;
}

const DEFAULT_VERSION = 'default';
const FULL_DOCUMENT = /^\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\b|html\b)/i;
// Partials the layout uses; a template body cannot include them.
const LAYOUT_PARTIALS = new Set(['footer']);

const HTML_OPTIONS: CompileOptions = { strict: true, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true };
// Subject and text are not HTML: escaping them would show `&amp;` to the reader.
const TEXT_OPTIONS: CompileOptions = { ...HTML_OPTIONS, noEscape: true };

/** A subject is one header line: CR, LF and other control characters become spaces. */
export function singleLine(value: string): string {
  let line = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    line += code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? ' ' : ch;
  }
  return line.replace(/ {2,}/g, ' ').trim();
}

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
  private readonly hb = Handlebars.create();
  private readonly source?: TemplateSource;
  private readonly defaults: DefaultTemplateStore;
  private readonly cacheSize: number;
  private readonly compiled = new Map<string, CompiledTemplate>();
  private readonly shared = new Map<string, HandlebarsTemplateDelegate>();

  constructor(options: TemplateRendererOptions = {}) {
    this.source = options.source;
    this.defaults = options.defaults ?? new DefaultTemplateStore();
    this.cacheSize = options.cacheSize ?? 1000;
    registerTemplateHelpers(this.hb);
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
    const chain = resolveLocaleChain(...input.locales);
    const resolved = await this.resolve(input.programId, input.key, chain);
    // Defaults are compiled once for every program; a program's id can never collide with them.
    const owner = resolved.source === 'program' && input.programId !== null ? `program:${input.programId}` : 'default';
    const compiled = this.cached(owner, resolved);
    const rendered = this.renderCompiled(compiled, input.data, resolved.locale, chain, (part, reason, line, column) => {
      return new TemplateRenderError(resolved.key, resolved.locale, resolved.source, part, reason, line, column);
    });
    return { ...rendered, key: resolved.key, locale: resolved.locale, source: resolved.source, version: resolved.version };
  }

  /** Renders template parts that are not stored (a draft), with no caching. */
  renderParts(parts: TemplateParts, options: { key: string; locales: readonly string[]; data: Readonly<Record<string, unknown>> }): RenderedEmail {
    const chain = resolveLocaleChain(...options.locales);
    const locale = chain[0];
    return this.renderCompiled(this.compile(parts), options.data, locale, chain, (part, reason, line, column) => {
      return new TemplateRenderError(options.key, locale, 'draft', part, reason, line, column);
    });
  }

  /** Drops a program's compiled templates: all of them, one key, or one key in one locale. */
  invalidate(programId: string, key?: string, locale?: string): number {
    let dropped = 0;
    for (const cacheKey of [...this.compiled.keys()]) {
      const [owner, k, l] = cacheKey.split('\u0001');
      if (owner === `program:${programId}` && (key === undefined || k === key) && (locale === undefined || l === locale)) {
        this.compiled.delete(cacheKey);
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops every compiled template, defaults included (the files are not read again). */
  clear(): void {
    this.compiled.clear();
    this.shared.clear();
  }

  private async resolve(programId: string | null, key: string, chain: readonly string[]): Promise<Resolved> {
    if (!isEmailTypeKey(key)) {
      // A program's own key: its template in any locale beats the generic fallback body.
      for (const locale of chain) {
        const found = await this.override(programId, key, locale);
        if (found) return found;
      }
      return this.resolve(programId, 'generic', chain);
    }
    // A system key: the reader's language first, the program's wording second.
    for (const locale of chain) {
      const found = (await this.override(programId, key, locale)) ?? this.fromDefaults(key, locale);
      if (found) return found;
    }
    throw new TemplateNotFoundError(key, chain);
  }

  private async override(programId: string | null, key: string, locale: string): Promise<Resolved | undefined> {
    if (programId === null || !this.source) return undefined;
    const found = await this.source.getOverride(programId, key, locale);
    if (!found) return undefined;
    const { version, ...parts } = found;
    return { key, locale, source: 'program', version: String(version), parts };
  }

  private fromDefaults(key: string, locale: string): Resolved | undefined {
    const parts = this.defaults.get(key, locale);
    return parts ? { key, locale, source: 'default', version: DEFAULT_VERSION, parts } : undefined;
  }

  private cached(owner: string, resolved: Resolved): CompiledTemplate {
    const cacheKey = [owner, resolved.key, resolved.locale, resolved.version].join('\u0001');
    const hit = this.compiled.get(cacheKey);
    if (hit) {
      // Least recently used goes first: move this one to the end.
      this.compiled.delete(cacheKey);
      this.compiled.set(cacheKey, hit);
      return hit;
    }
    const compiled = this.compile(resolved.parts);
    this.compiled.set(cacheKey, compiled);
    if (this.compiled.size > this.cacheSize) this.compiled.delete(this.compiled.keys().next().value as string);
    return compiled;
  }

  private compile(parts: TemplateParts): CompiledTemplate {
    return {
      subject: this.hb.compile(parts.subject, TEXT_OPTIONS),
      html: this.hb.compile(parts.html, HTML_OPTIONS),
      text: parts.text ? this.hb.compile(parts.text, TEXT_OPTIONS) : null,
      fullDocument: FULL_DOCUMENT.test(parts.html),
    };
  }

  private sharedTemplate(cacheKey: string, source: string, format: OutputFormat): HandlebarsTemplateDelegate {
    let template = this.shared.get(cacheKey);
    if (!template) {
      template = this.hb.compile(source, format === 'html' ? HTML_OPTIONS : TEXT_OPTIONS);
      this.shared.set(cacheKey, template);
    }
    return template;
  }

  private layout(format: OutputFormat): HandlebarsTemplateDelegate {
    return this.sharedTemplate(`layout|${format}`, this.defaults.layout(format), format);
  }

  private partials(format: OutputFormat, chain: readonly string[], forLayout: boolean): Record<string, HandlebarsTemplateDelegate> {
    const out: Record<string, HandlebarsTemplateDelegate> = {};
    for (const name of this.defaults.partialNames(format)) {
      if (LAYOUT_PARTIALS.has(name) !== forLayout) continue;
      const found = this.defaults.partial(name, format, chain);
      if (found) out[name] = this.sharedTemplate(`partial|${name}|${format}|${found.locale}`, found.source, format);
    }
    return out;
  }

  private renderCompiled(
    compiled: CompiledTemplate,
    data: Readonly<Record<string, unknown>>,
    locale: string,
    chain: readonly string[],
    fail: (part: TemplatePart | 'layout', reason: string, line?: number, column?: number) => TemplateRenderError,
  ): RenderedEmail {
    // Partials and formats follow the template's locale first, then the reader's chain.
    const partialChain = [locale, ...chain.filter((l) => l !== locale)];
    const program = (data.program ?? {}) as { timezone?: unknown };
    const budget = { left: MAX_RENDERED_CHARS };
    const frame = (output: 'html' | 'text'): RenderFrame => ({
      locale,
      formatLocale: formattingLocale(locale, chain),
      timeZone: typeof program.timezone === 'string' && program.timezone ? program.timezone : 'UTC',
      output,
      budget,
    });
    const run = (
      part: TemplatePart | 'layout',
      template: HandlebarsTemplateDelegate,
      context: unknown,
      output: 'html' | 'text',
      partials: Record<string, HandlebarsTemplateDelegate> = {},
    ): string => {
      try {
        const out = template(context, { data: frame(output), partials });
        // A long value used many times can still make a huge part; stop before it is used.
        if (out.length > MAX_RENDERED_CHARS) throw new Error(`the result is longer than ${MAX_RENDERED_CHARS.toLocaleString('en')} characters; use long values fewer times`);
        return out;
      } catch (err) {
        const { reason, line, column } = explain(err);
        throw fail(part, reason, line, column);
      }
    };

    const subject = singleLine(run('subject', compiled.subject, data, 'text'));
    const body = run('html', compiled.html, data, 'html', this.partials('html', partialChain, false));
    const layoutContext = (content: string | Handlebars.SafeString) => ({ content, subject, program: data.program });
    const html = compiled.fullDocument
      ? body
      : run('layout', this.layout('html'), layoutContext(new this.hb.SafeString(body.trim())), 'html', this.partials('html', partialChain, true));

    let text: string;
    if (!compiled.text) {
      text = htmlToText(html);
    } else {
      const textBody = run('text', compiled.text, data, 'text').trim();
      text = compiled.fullDocument
        ? textBody
        : run('layout', this.layout('text'), layoutContext(textBody), 'text', this.partials('text', partialChain, true)).trim();
    }
    return { subject, html, text };
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
  const ofNull = /^Cannot read propert(?:y|ies) of (?:undefined|null) \(reading '(.+)'\)$/.exec(message);
  if (ofNull) {
    // Strict mode reads helper arguments without a null check: `{{#if a.b}}` with `a` null.
    return { reason: `a value on the way to "${ofNull[1]}" is null or missing; check it first with {{#if}}`, line, column };
  }
  return { reason: message.replace(/ - \d+:\d+$/, ''), line, column };
}
