import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AssetFiles, compileViews } from '../common/views/view-files';
import { programWarnings } from '../programs/program-warnings';
import { PREVIEW_CSP } from './console-http.middleware';
import { addCookie, ConsoleContext } from './console-request';
import { LANGUAGE_NAMES, LANGUAGES, translate, type Lang, type MessageKey } from './i18n';

/** A console page to render: a view under src/console/views with its model. */
export interface Page {
  view: string;
  title: MessageKey;
  /** Which navigation entry is current. */
  section?: (typeof NAV)[number];
  status?: number;
  model?: Record<string, unknown>;
  cookies?: string[];
}

/** A 303 to another console page, after a form that changed something. */
export interface Redirect {
  redirect: string;
  cookies?: string[];
}

export type PageResult = Page | Redirect;

const ASSETS: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
};
const NAV = [
  'integrations',
  'rules',
  'templates',
  'messages',
  'suppressions',
  'participants',
] as const;
const VIEWS_DIR = join(__dirname, 'views');
const ASSETS_DIR = join(__dirname, 'assets');

interface RenderData {
  lang: Lang;
  csrf: string;
  timeZone: string;
}

/** Renders console pages with Handlebars; every value is escaped ({{ }}), nothing is triple-stashed. */
@Injectable()
export class ConsoleViews {
  private readonly hb = Handlebars.create();
  private readonly pages: Map<string, HandlebarsTemplateDelegate>;
  private readonly assets = new AssetFiles(ASSETS_DIR, ASSETS);

  constructor() {
    this.registerHelpers();
    const partials = join(VIEWS_DIR, 'partials');
    for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
      this.hb.registerPartial(basename(file, '.hbs'), readFileSync(join(partials, file), 'utf8'));
    }
    this.pages = compileViews(this.hb, VIEWS_DIR);
  }

  render(page: Page, ctx: ConsoleContext): string {
    const template = this.pages.get(page.view);
    if (!template) throw new Error(`No console view ${page.view}`);
    // After a POST the address is not a page; the language links go to the section instead.
    const back = ctx.path ?? (page.section ? `/console/${page.section}` : '/console/sign-in');
    const data: RenderData = {
      lang: ctx.lang,
      csrf: ctx.csrfToken,
      timeZone: ctx.program?.timezone ?? 'UTC',
    };
    const context = {
      ...page.model,
      page: {
        title: translate(ctx.lang, page.title),
        lang: ctx.lang,
        signedIn: Boolean(ctx.program),
        programName: ctx.program?.name,
        // Settings the program misses, named on every page until they are set.
        warnings: ctx.program
          ? programWarnings(ctx.program).map((w) => translate(ctx.lang, `warning.${w.code}`))
          : [],
        nav: NAV.map((key) => ({ key, href: `/console/${key}`, current: page.section === key })),
        languages: LANGUAGES.map((code) => ({
          code,
          name: LANGUAGE_NAMES[code],
          current: code === ctx.lang,
          href: `${back}?lang=${encodeURIComponent(code)}`,
        })),
      },
    };
    return template(context, { data });
  }

  /** Sends a page (or a redirect) with the console's headers already set by its middleware. */
  send(res: Response, ctx: ConsoleContext, result: PageResult): void {
    for (const cookie of result.cookies ?? []) addCookie(res, cookie);
    if ('redirect' in result) {
      res.redirect(303, result.redirect);
      return;
    }
    res
      .status(result.status ?? 200)
      .type('html')
      .send(this.render(result, ctx));
  }

  /** The email document inside a preview frame, with the frame's own policy instead of the console's. */
  sendPreview(res: Response, ctx: ConsoleContext, doc: Page | { html: string }): void {
    res.setHeader('Content-Security-Policy', PREVIEW_CSP);
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    if ('html' in doc) {
      res.status(200).type('html').send(doc.html);
      return;
    }
    res
      .status(doc.status ?? 200)
      .type('html')
      .send(this.render(doc, ctx));
  }

  /** The console's stylesheet and script; a fixed list, read once. */
  asset(name: string): { type: string; body: string } | undefined {
    return this.assets.get(name);
  }

  private registerHelpers(): void {
    const hb = this.hb;
    const dataOf = (options: Handlebars.HelperOptions) => options.data as RenderData;
    hb.registerHelper('t', function (key: unknown, options: Handlebars.HelperOptions) {
      return translate(dataOf(options).lang, String(key), options.hash as Record<string, unknown>);
    });
    hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
    hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
    hb.registerHelper('not', (a: unknown) => !a);
    hb.registerHelper('json', (value: unknown) =>
      value === undefined ? '' : JSON.stringify(value),
    );
    hb.registerHelper('jsonPretty', (value: unknown) =>
      value === undefined ? '' : JSON.stringify(value, null, 2),
    );
    hb.registerHelper('selected', (a: unknown, b: unknown) => (a === b ? 'selected' : ''));
    hb.registerHelper('date', function (iso: unknown, options: Handlebars.HelperOptions) {
      if (typeof iso !== 'string' || !iso) return '';
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return iso;
      const { lang, timeZone } = dataOf(options);
      return new Intl.DateTimeFormat(lang, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZone,
        timeZoneName: 'short',
      }).format(date);
    });
    hb.registerHelper(
      'money',
      function (amount: unknown, currency: unknown, options: Handlebars.HelperOptions) {
        const value = Number(amount);
        if (!Number.isFinite(value)) return '';
        return new Intl.NumberFormat(dataOf(options).lang, {
          style: 'currency',
          currency: typeof currency === 'string' ? currency : 'USD',
        }).format(value);
      },
    );
  }
}
