import { TemplatesService } from '../../templates/templates.service';
import { Injectable } from '@nestjs/common';
import type { Program } from '../../programs/program.entity';
import {
  emailTypeOf,
  resolveLocaleChain,
  sampleEmailData,
  TemplateRenderer,
  TemplateRenderError,
  validateTemplate,
  withOptionalEmpty,
  type RenderedEmail,
  type TemplateParts,
} from '../../templates/renderer';

export interface DraftProblem {
  part: string;
  line?: number;
  column?: number;
  message: string;
}

export type DraftRendering =
  { ok: true; email: RenderedEmail; locale: string } | { ok: false; problems: DraftProblem[] };

/**
 * Renders a template that is not saved yet, for the editor's live preview: the checks a save
 * runs, then the sending renderer (same helpers, layout and partials) over the same sample
 * data the saved-template preview uses.
 */
@Injectable()
export class TemplateDrafts {
  private renderer?: TemplateRenderer;

  constructor(private readonly templates: TemplatesService) {}

  render(
    program: Program,
    key: string,
    locale: string,
    parts: TemplateParts,
    optionalEmpty = false,
  ): DraftRendering {
    const problems = validateTemplate(key, parts);
    if (problems.length) return { ok: false, problems };
    // Built on first use: the default templates are only there once the templates module started.
    this.renderer ??= new TemplateRenderer({ defaults: this.templates.defaults });
    const chain = resolveLocaleChain(locale, program.defaultLocale);
    try {
      const email = this.renderer.renderParts(parts, {
        key,
        locales: chain,
        data: this.sampleData(program, key, chain, optionalEmpty),
      });
      return { ok: true, email, locale: chain[0] };
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      return {
        ok: false,
        problems: [{ part: err.part, line: err.line, column: err.column, message: err.reason }],
      };
    }
  }

  /** Sample variables in the reader's language, with the real program. */
  private sampleData(
    program: Program,
    key: string,
    chain: readonly string[],
    optionalEmpty: boolean,
  ): Record<string, unknown> {
    const shipped = new Set(
      this.templates.defaults.locales(emailTypeOf(key)).map((l) => l.split('-')[0]),
    );
    const sampleLocale = chain.find((l) => shipped.has(l.split('-')[0])) ?? chain[0];
    const sample = sampleEmailData(key, sampleLocale);
    const data = {
      ...((optionalEmpty ? withOptionalEmpty(key, sample) : sample) as Record<string, unknown>),
    };
    const real = this.templates.buildData(key, { program });
    if ('program' in real) data.program = real.program;
    // The same JSON round trip as a stored message, so the preview renders the values a send would.
    return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
  }
}
