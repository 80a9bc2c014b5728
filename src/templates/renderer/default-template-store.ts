import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The parts of one template as stored: a missing text part is derived from the HTML. */
export interface TemplateParts {
  subject: string;
  html: string;
  text?: string | null;
}

export type OutputFormat = 'html' | 'text';

const MARKER = join('layouts', 'email.html.hbs');

/** The `templates/` folder at the repository root, found from here in `src/` and in `dist/`. */
export function findTemplatesDir(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, MARKER))) return candidate;
    if (dirname(dir) === dir) throw new Error(`No templates folder with ${MARKER} above ${from}`);
  }
}

interface Loaded {
  emails: Map<string, Map<string, TemplateParts>>;
  layouts: Map<OutputFormat, string>;
  // name -> locale ('' for every locale) -> format -> source
  partials: Map<string, Map<string, Map<OutputFormat, string>>>;
}

function listDirs(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
    : [];
}

function listFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
    : [];
}

function readOptional(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * The default templates on disk: `emails/<key>/<locale>/{subject,html,text}.hbs`,
 * `layouts/email.{html,text}.hbs`, `partials/[<locale>/]<name>.{html,text}.hbs`.
 * Read once, on first use, and kept for the life of the process.
 */
export class DefaultTemplateStore {
  private loaded?: Loaded;

  constructor(readonly rootDir: string = findTemplatesDir()) {}

  keys(): string[] {
    return [...this.load().emails.keys()].sort();
  }

  locales(key: string): string[] {
    return [...(this.load().emails.get(key)?.keys() ?? [])].sort();
  }

  get(key: string, locale: string): TemplateParts | undefined {
    return this.load().emails.get(key)?.get(locale);
  }

  layout(format: OutputFormat): string {
    const source = this.load().layouts.get(format);
    if (source === undefined)
      throw new Error(`Missing layout ${join(this.rootDir, 'layouts', `email.${format}.hbs`)}`);
    return source;
  }

  /** Partial names available in that format, whatever the locale. */
  partialNames(format: OutputFormat): string[] {
    return [...this.load().partials.entries()]
      .filter(([, byLocale]) => [...byLocale.values()].some((byFormat) => byFormat.has(format)))
      .map(([name]) => name)
      .sort();
  }

  /** The partial in the first locale of the chain that has it, else the locale-neutral one. */
  partial(
    name: string,
    format: OutputFormat,
    chain: readonly string[],
  ): { locale: string; source: string } | undefined {
    const byLocale = this.load().partials.get(name);
    if (!byLocale) return undefined;
    for (const locale of [...chain, '']) {
      const source = byLocale.get(locale)?.get(format);
      if (source !== undefined) return { locale, source };
    }
    return undefined;
  }

  private load(): Loaded {
    if (this.loaded) return this.loaded;
    const emails = new Map<string, Map<string, TemplateParts>>();
    for (const key of listDirs(join(this.rootDir, 'emails'))) {
      const byLocale = new Map<string, TemplateParts>();
      for (const locale of listDirs(join(this.rootDir, 'emails', key))) {
        const dir = join(this.rootDir, 'emails', key, locale);
        const subject = readOptional(join(dir, 'subject.hbs'));
        const html = readOptional(join(dir, 'html.hbs'));
        if (subject === undefined || html === undefined)
          throw new Error(`${dir} needs subject.hbs and html.hbs`);
        byLocale.set(locale, { subject, html, text: readOptional(join(dir, 'text.hbs')) ?? null });
      }
      emails.set(key, byLocale);
    }

    const layouts = new Map<OutputFormat, string>();
    for (const format of ['html', 'text'] as const) {
      const source = readOptional(join(this.rootDir, 'layouts', `email.${format}.hbs`));
      if (source !== undefined) layouts.set(format, source);
    }

    const partials: Loaded['partials'] = new Map();
    const addPartials = (dir: string, locale: string): void => {
      for (const file of listFiles(dir)) {
        const m = /^(.+)\.(html|text)\.hbs$/.exec(file);
        if (!m) continue;
        const [, name, format] = m as unknown as [string, string, OutputFormat];
        const byLocale = partials.get(name) ?? new Map<string, Map<OutputFormat, string>>();
        const byFormat = byLocale.get(locale) ?? new Map<OutputFormat, string>();
        byFormat.set(format, readFileSync(join(dir, file), 'utf8'));
        byLocale.set(locale, byFormat);
        partials.set(name, byLocale);
      }
    };
    const partialsDir = join(this.rootDir, 'partials');
    addPartials(partialsDir, '');
    for (const locale of listDirs(partialsDir)) addPartials(join(partialsDir, locale), locale);

    this.loaded = { emails, layouts, partials };
    return this.loaded;
  }
}
