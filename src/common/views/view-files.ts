import type Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// The server-rendered pages (the console, the participant pages) keep their views and assets as
// files: beside their code in src/ (tests) and in a build, where scripts/copy-assets.js puts them.

/**
 * Every view in `dir`, compiled by `hb` and named by its file; layout.hbs is not a page but the
 * partial the pages wrap themselves in.
 */
export function compileViews(
  hb: typeof Handlebars,
  dir: string,
): Map<string, HandlebarsTemplateDelegate> {
  hb.registerPartial('layout', readFileSync(join(dir, 'layout.hbs'), 'utf8'));
  const views = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs') && f !== 'layout.hbs')) {
    views.set(
      basename(file, '.hbs'),
      hb.compile(readFileSync(join(dir, file), 'utf8'), { preventIndent: true }),
    );
  }
  return views;
}

/** A fixed list of asset files (name to content type), each read once, when first asked for. */
export class AssetFiles {
  private readonly bodies = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly types: Readonly<Record<string, string>>,
  ) {}

  get(name: string): { type: string; body: string } | undefined {
    const type = this.types[name];
    if (!type) return undefined;
    let body = this.bodies.get(name);
    if (body === undefined) {
      body = readFileSync(join(this.dir, name), 'utf8');
      this.bodies.set(name, body);
    }
    return { type, body };
  }
}
