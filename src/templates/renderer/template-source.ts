import type { TemplateParts } from './default-template-store';

/** A program's own version of a template in one locale. */
export interface TemplateOverride extends TemplateParts {
  /**
   * Changes whenever the content changes (a counter, or the update time in ms). Part of the
   * compiled-template cache key, so an edit is never served from a stale compilation.
   */
  version: string | number;
}

/**
 * Where program overrides come from (the database, behind a Nest service). Defaults are not
 * asked for here: they come from `templates/` on disk.
 */
export interface TemplateSource {
  getOverride(
    programId: string,
    key: string,
    locale: string,
  ): Promise<TemplateOverride | undefined> | TemplateOverride | undefined;
}
