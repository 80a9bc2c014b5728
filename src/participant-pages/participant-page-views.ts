import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { join } from 'node:path';
import { AssetFiles, compileViews } from '../common/views/view-files';
import { translate, type MessageKey, type PageLang } from './i18n';

/** Who the page speaks for: the program's name and whether the built-in branding shows. */
export interface PageProgram {
  name: string;
  branding: boolean;
}

/** A participant page to render: a view under views/ with its model. */
export interface Page {
  view: string;
  lang: PageLang;
  title: MessageKey;
  /** Absent when the link names no program we know (a mistyped link). */
  program?: PageProgram;
  status?: number;
  model?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A 303 to another participant page, after a form that changed something. */
export interface Redirect {
  redirect: string;
}

export type PageResult = Page | Redirect;

const ASSETS: Record<string, string> = { 'pages.css': 'text/css; charset=utf-8' };
const VIEWS_DIR = join(__dirname, 'views');
const ASSETS_DIR = join(__dirname, 'assets');

/** Renders participant pages; every value is escaped ({{ }}), nothing is triple-stashed. */
@Injectable()
export class ParticipantPageViews {
  private readonly hb = Handlebars.create();
  private readonly pages: Map<string, HandlebarsTemplateDelegate>;
  private readonly assets = new AssetFiles(ASSETS_DIR, ASSETS);

  constructor() {
    this.hb.registerHelper('t', function (key: unknown, options: Handlebars.HelperOptions) {
      const lang = (options.data as { lang: PageLang }).lang;
      return translate(lang, String(key), options.hash as Record<string, unknown>);
    });
    this.hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.pages = compileViews(this.hb, VIEWS_DIR);
  }

  render(page: Page): string {
    const template = this.pages.get(page.view);
    if (!template) throw new Error(`No participant page view ${page.view}`);
    const title = translate(page.lang, page.title);
    return template(
      {
        ...page.model,
        page: {
          lang: page.lang,
          title,
          documentTitle: page.program ? `${title} · ${page.program.name}` : title,
          program: page.program,
        },
      },
      { data: { lang: page.lang } },
    );
  }

  send(res: Response, result: PageResult): void {
    if ('redirect' in result) {
      res.redirect(303, result.redirect);
      return;
    }
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
    res.setHeader('Content-Language', result.lang);
    res
      .status(result.status ?? 200)
      .type('html')
      .send(this.render(result));
  }

  /** The pages' stylesheet; a fixed list, read once. */
  asset(name: string): { type: string; body: string } | undefined {
    return this.assets.get(name);
  }
}
