import { positionOf, type Tag } from './template-limits';

/** A block opened and never closed: where it opened, and the tag that closes it. */
export interface UnclosedBlock {
  line: number;
  column: number;
  /** The opening tag as written, e.g. `{{#if participant.firstName}}` (cut at 60 characters). */
  opening: string;
  /** e.g. `{{/if}}`. */
  closing: string;
}

/**
 * The innermost block of the scanned tags that is never closed. The parser only notices at the
 * end of the template; the author needs to know where the block began.
 */
export function unclosedBlock(source: string, tags: readonly Tag[]): UnclosedBlock | undefined {
  const closed = new Set(tags.filter((t) => t.kind === 'close').map((t) => t.block));
  const open = tags.filter((t) => t.kind === 'open' && !closed.has(t.block));
  const last = open[open.length - 1];
  if (!last) return undefined;
  const tag = source.slice(last.start, last.end);
  const opening = tag.length > 60 ? `${tag.slice(0, 59)}…` : tag;
  // {{#if x}}, {{^unless}}, {{#> partial}}, {{#*inline "name"}}: the name is what {{/…}} repeats.
  const name = /^\{\{~?[#^]\s*(?:>\s*)?\*?([^\s}~()]+)/.exec(tag)?.[1] ?? '…';
  return { ...positionOf(source, last.start), opening, closing: `{{/${name}}}` };
}
