import type Handlebars from 'handlebars';
import { eachExhausted, RenderLimitError, type RenderBudget } from './render-budget';

export { MAX_RENDERED_CHARS } from './render-budget';

/** Private render data every helper reads from `options.data`. */
export interface RenderFrame {
  /** Locale of the template (the language of the text). */
  locale: string;
  /** Locale numbers and dates are formatted in. */
  formatLocale: string;
  /** IANA time zone dates are shown in (the program's). */
  timeZone: string;
  /** What is being rendered: HTML escapes, text and subject do not. */
  output: 'html' | 'text';
  /** What this render may still produce (see RenderBudget); none: nothing is counted. */
  budget?: RenderBudget;
  /** Checks each value a template shows (see requirePresentValues). */
  present?: (value: unknown, name: string, line: number, column: number) => unknown;
}

// Building an Intl formatter costs far more than using one, and a render calls them per value:
// keep them per locale and options (a handful of combinations in practice, bounded anyway).
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cachedFormatter<T extends Intl.NumberFormat | Intl.DateTimeFormat>(
  key: string,
  make: () => T,
): T {
  let found = formatters.get(key) as T | undefined;
  if (!found) {
    if (formatters.size >= 1000) formatters.clear();
    found = make();
    formatters.set(key, found);
  }
  return found;
}
const numberFormat = (locale: string, options: Intl.NumberFormatOptions) =>
  cachedFormatter(
    `n|${locale}|${JSON.stringify(options)}`,
    () => new Intl.NumberFormat(locale, options),
  );
const dateFormat = (locale: string, options: Intl.DateTimeFormatOptions) =>
  cachedFormatter(
    `d|${locale}|${JSON.stringify(options)}`,
    () => new Intl.DateTimeFormat(locale, options),
  );

export const DATE_FORMATS: Readonly<Record<string, Intl.DateTimeFormatOptions>> = {
  short: { year: 'numeric', month: '2-digit', day: '2-digit' },
  medium: { dateStyle: 'medium' },
  long: { dateStyle: 'long' },
  datetime: {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  },
  time: { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  year: { year: 'numeric' },
};

export const DATE_FORMAT_NAMES: readonly string[] = [...Object.keys(DATE_FORMATS), 'iso'];

export const DEFAULT_DATE_FORMAT = 'long';

export interface HelperSpec {
  /** Used as `{{#name}}`. */
  block: boolean;
  minParams: number;
  maxParams: number;
  hash?: readonly string[];
  usage: string;
}

/**
 * The name a path is when it is one plain name (`name`, not `this.name`, `@name` or `../name`):
 * the only way a template can name a helper.
 */
export function simpleName(path: hbs.AST.PathExpression): string | undefined {
  return !path.data &&
    path.depth === 0 &&
    path.parts.length === 1 &&
    !/^(\.|this\b)/.test(path.original)
    ? path.parts[0]
    : undefined;
}

// Built-in block helpers we keep, and ours. `log` and `blockHelperMissing`-style sections are
// left out on purpose: templates are written by program staff, and output is all they need.
export const TEMPLATE_HELPERS: Readonly<Record<string, HelperSpec>> = {
  if: { block: true, minParams: 1, maxParams: 1, usage: '{{#if value}}…{{else}}…{{/if}}' },
  unless: { block: true, minParams: 1, maxParams: 1, usage: '{{#unless value}}…{{/unless}}' },
  each: { block: true, minParams: 1, maxParams: 1, usage: '{{#each list}}…{{/each}}' },
  with: { block: true, minParams: 1, maxParams: 1, usage: '{{#with object}}…{{/with}}' },
  lookup: { block: false, minParams: 2, maxParams: 2, usage: '{{lookup object "field"}}' },
  eq: {
    block: false,
    minParams: 2,
    maxParams: 2,
    usage: '{{#if (eq reward.kind "cash")}}…{{/if}}',
  },
  money: {
    block: false,
    minParams: 1,
    maxParams: 3,
    usage: '{{money reward.amount reward.currency}}',
  },
  date: { block: false, minParams: 1, maxParams: 2, usage: '{{date reward.createdAt "long"}}' },
  link: {
    block: false,
    minParams: 1,
    maxParams: 2,
    hash: ['style'],
    usage: '{{link verifyUrl "Confirm"}}',
  },
  default: {
    block: false,
    minParams: 2,
    maxParams: 2,
    usage: '{{default participant.firstName "there"}}',
  },
};

/** Partials a template body may include, with the values each one needs. */
export const TEMPLATE_PARTIALS: Readonly<Record<string, readonly string[]>> = {
  button: ['href', 'label'],
  'fallback-link': ['href'],
};

/** The option the renderer gives a `{{link}}` written inside an attribute value (the validator refuses it in a template). */
export const LINK_IN_ATTRIBUTE = 'inAttribute';

export const KNOWN_HELPERS: Readonly<Record<string, boolean>> = {
  ...Object.fromEntries(Object.keys(TEMPLATE_HELPERS).map((name) => [name, true])),
  log: false,
};

export class TemplateHelperError extends Error {
  override readonly name: string = 'TemplateHelperError';
}

/** A value a template shows was empty (null or ""): the email is not sent with a blank. */
export class TemplateValueMissing extends TemplateHelperError {
  override readonly name = 'TemplateValueMissing';

  constructor(
    readonly variable: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(
      `"${variable}" is empty for this message, and an email never shows a blank: give it a value, or write {{default ${variable} "…"}} or {{#if ${variable}}}…{{/if}} in the template`,
    );
  }
}

/** Empty for a template: nothing to show. 0 and false are values. */
export function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

type HelperOptions = Handlebars.HelperOptions & { data: RenderFrame };

function frameOf(args: unknown[]): { params: unknown[]; options: HelperOptions } {
  const options = args[args.length - 1] as HelperOptions;
  return { params: args.slice(0, -1), options };
}

function toNumber(value: unknown, helper: string): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n))
    throw new TemplateHelperError(`${helper}: expected a number, got ${describe(value)}`);
  return n;
}

function toDate(value: unknown): Date {
  const d =
    value instanceof Date
      ? value
      : typeof value === 'string' || typeof value === 'number'
        ? new Date(value)
        : null;
  if (!d || Number.isNaN(d.getTime()))
    throw new TemplateHelperError(`date: expected a date, got ${describe(value)}`);
  return d;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (is a variable missing from the data?)';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'an object';
}

/** `{{money amount currency? locale?}}`: a currency amount, or a plain number without currency. */
export function formatMoney(amount: unknown, currency: unknown, locale: string): string {
  const n = toNumber(amount, 'money');
  if (currency === null || currency === undefined || currency === '') {
    return numberFormat(locale, { maximumFractionDigits: 2 }).format(n);
  }
  if (typeof currency !== 'string')
    throw new TemplateHelperError(`money: expected a currency code, got ${describe(currency)}`);
  try {
    return numberFormat(locale, { style: 'currency', currency }).format(n);
  } catch {
    // Not an ISO 4217 code (a program's own unit): show the number and the code as given.
    return `${numberFormat(locale, { maximumFractionDigits: 2 }).format(n)} ${currency}`;
  }
}

/** `{{date value format?}}`: a named format, in the program time zone. */
export function formatDate(
  value: unknown,
  format: string,
  locale: string,
  timeZone: string,
): string {
  const d = toDate(value);
  if (format === 'iso') {
    // The calendar date in the program time zone, as YYYY-MM-DD.
    return dateFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(d);
  }
  const options = Object.prototype.hasOwnProperty.call(DATE_FORMATS, format)
    ? DATE_FORMATS[format]
    : undefined;
  if (!options) {
    throw new TemplateHelperError(
      `date: unknown format "${format}"; use one of ${DATE_FORMAT_NAMES.join(', ')}`,
    );
  }
  return dateFormat(locale, { ...options, timeZone }).format(d);
}

/** An absolute http(s) URL, or an error: `javascript:` and friends never reach an href. */
export function safeUrl(value: unknown): string {
  if (typeof value !== 'string')
    throw new TemplateHelperError(`link: expected a URL, got ${describe(value)}`);
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    throw new TemplateHelperError(`link: ${describe(value)} is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TemplateHelperError(
      `link: only http and https links are allowed, got "${parsed.protocol}"`,
    );
  }
  return parsed.href;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// Always written inside double quotes, so `=` and backticks (which Handlebars also escapes, for
// unquoted attributes) stay as they are and URLs stay readable: `?token=abc`, not `?token&#x3D;abc`.
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/**
 * Our helpers in `hb`. `counted`: the environment of programs' templates, whose compiled code
 * charges every piece of output to the render's budget; there each block call and list item
 * costs one unit more, and a budget that runs out inside a list is reported as that list's.
 */
export function registerTemplateHelpers(
  hb: typeof Handlebars,
  { counted = false }: { counted?: boolean } = {},
): void {
  // Nothing a template author writes should reach the console.
  hb.unregisterHelper('log');

  // Lists inside lists multiply: three nested {{#each}} over a thousand items would keep the
  // process busy for minutes and then exhaust its memory. Every item spends one unit plus the
  // characters it produced from the render's budget; a render that runs out fails.
  const each = hb.helpers.each as (
    this: unknown,
    context: unknown,
    options: Handlebars.HelperOptions,
  ) => string;
  hb.registerHelper('each', function (this: unknown, context: unknown, options: HelperOptions) {
    const budget = options.data?.budget;
    if (!budget) return each.call(this, context, options);
    const fn = options.fn;
    const counted = budget.counted
      ? // The output is charged as it is written: each item costs one unit on top.
        (item: unknown, runtime?: Handlebars.RuntimeOptions) => {
          try {
            budget.spend(1);
            return fn(item, runtime);
          } catch (err) {
            if (err instanceof RenderLimitError && !err.attributed) throw eachExhausted(budget.max);
            throw err;
          }
        }
      : (item: unknown, runtime?: Handlebars.RuntimeOptions) => {
          const out = fn(item, runtime);
          budget.left -= 1 + out.length;
          if (budget.left < 0) throw eachExhausted(budget.max);
          return out;
        };
    return each.call(this, context, { ...options, fn: counted as Handlebars.TemplateDelegate });
  });

  if (counted) {
    // A block costs one unit per call, so that no arrangement of blocks runs for free.
    for (const name of ['if', 'unless', 'with']) {
      const helper = hb.helpers[name] as (this: unknown, ...args: unknown[]) => unknown;
      hb.registerHelper(name, function (this: unknown, ...args: unknown[]) {
        (args[args.length - 1] as HelperOptions | undefined)?.data?.budget?.spend(1);
        return helper.apply(this, args);
      });
    }
  }

  hb.registerHelper('default', (...args: unknown[]) => {
    const { params } = frameOf(args);
    const [value, fallback] = params;
    if (!isEmptyValue(value)) return value;
    // An empty fallback written as "" is the author's choice; an empty variable is not.
    if (fallback === null || fallback === undefined)
      throw new TemplateHelperError(
        'default: the fallback is empty too; give a text such as "there"',
      );
    return fallback;
  });

  hb.registerHelper('eq', (...args: unknown[]) => {
    const { params } = frameOf(args);
    return params[0] === params[1];
  });

  hb.registerHelper('money', (...args: unknown[]) => {
    const { params, options } = frameOf(args);
    const locale = typeof params[2] === 'string' ? params[2] : options.data.formatLocale;
    return formatMoney(params[0], params[1], locale);
  });

  hb.registerHelper('date', (...args: unknown[]) => {
    const { params, options } = frameOf(args);
    const format =
      params[1] === undefined || params[1] === null
        ? DEFAULT_DATE_FORMAT
        : typeof params[1] === 'string'
          ? params[1]
          : describe(params[1]);
    return formatDate(params[0], format, options.data.formatLocale, options.data.timeZone);
  });

  hb.registerHelper('link', (...args: unknown[]) => {
    const { params, options } = frameOf(args);
    const href = safeUrl(params[0]);
    // Written inside an attribute value (href="{{link url}}"): the checked URL alone.
    if (options.hash[LINK_IN_ATTRIBUTE] === true && options.data.output === 'html')
      return new hb.SafeString(escapeHtml(href));
    const label =
      typeof params[1] === 'string' || typeof params[1] === 'number'
        ? String(params[1]) || href
        : href;
    if (options.data.output === 'text')
      return label === href || label === params[0] ? href : `${label} (${href})`;
    const style =
      typeof options.hash.style === 'string'
        ? options.hash.style
        : 'color:#1d4ed8;text-decoration:underline;';
    return new hb.SafeString(
      `<a href="${escapeHtml(href)}" style="${escapeHtml(style)}">${escapeHtml(label)}</a>`,
    );
  });
}
