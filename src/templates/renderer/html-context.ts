import { Tokenizer } from 'htmlparser2';
import { LINK_IN_ATTRIBUTE } from './template-helpers';
import type { Tag } from './template-limits';
import type { TemplatePart, TemplateValidationError } from './template-problems';

// Attributes that hold one URL: a value after a fixed `https://host/` (or `mailto:`, `tel:`) can
// only add to the path, never change the scheme. Lists of URLs (srcset, ping, archive) get no
// such exception: a value there can start a URL of its own.
const SINGLE_URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'background',
  'poster',
  'cite',
  'xlink:href',
  'data',
  'longdesc',
  'lowsrc',
  'dynsrc',
  'usemap',
  'icon',
]);

/** Attributes whose value is a URL: a value there could be a `javascript:` link. */
export const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  ...SINGLE_URL_ATTRIBUTES,
  // Those the fixed-scheme exception leaves out.
  'srcset',
  'imagesrcset',
  'codebase',
  'classid',
  'archive',
  'manifest',
  'ping',
  'profile',
  'xml:base',
]);
const FIXED_SCHEME = /^\s*(?:https?:\/\/[^\s/?#\\{}"'<>]+[/?#]|mailto:|tel:)/i;

/** Where a `{{…}}` lands as an HTML tokenizer reads the template. */
export type HtmlContext =
  | { kind: 'text' }
  | { kind: 'comment'; id: number }
  | { kind: 'tag'; id: number; tag: string }
  | { kind: 'markup'; id: number }
  | { kind: 'raw'; id: number; tag: string }
  | {
      kind: 'attribute';
      id: number;
      tag: string;
      name: string;
      quoted: boolean;
      /** The value's text before its first `{{`. */
      prefix: string;
      /** Another attribute of the same tag makes it a URL (`<meta http-equiv content>`). */
      url: boolean;
    };

export interface HtmlContextResult {
  problems: TemplateValidationError[];
  /** `{{link …}}` written inside an attribute value: they give the URL alone, not an <a>. */
  attributeLinks: hbs.AST.MustacheStatement[];
}

// htmlparser2's QuoteType (its module is not exported on its own).
const QuoteType = { NoValue: 0, Unquoted: 1, Single: 2, Double: 3 } as const;
type QuoteType = (typeof QuoteType)[keyof typeof QuoteType];

// What an offset is; 0 (what the arrays start as) is text.
const TAG = 1;
const ATTRIBUTE = 2;
const COMMENT = 3;
const RAW = 4;
const MARKUP = 5;

interface Attribute {
  tag: number;
  name: string;
  valueStart: number;
  valueEnd: number;
  quote: QuoteType;
}

interface OpenTag {
  id: number;
  name: string;
  start: number;
  attributes: number[];
}

// Outlook reads the inside of `<!--[if mso]>…<![endif]-->` as HTML.
const CONDITIONAL_COMMENT = /^\s*\[if\b/i;

/** What each offset of the skeleton is, as an HTML tokenizer sees it. */
class Contexts {
  readonly kind: Uint8Array;
  readonly owner: Int32Array;
  readonly tags: { name: string; attributes: number[] }[] = [];
  readonly attributes: Attribute[] = [];
  readonly raw: string[] = [];
  private markups = 0;

  /** `skeleton` is read; names are taken from `source`, which has the same offsets. */
  constructor(
    private readonly skeleton: string,
    private readonly source: string,
  ) {
    this.kind = new Uint8Array(skeleton.length);
    this.owner = new Int32Array(skeleton.length);
    this.tokenize(0, skeleton.length);
  }

  private mark(from: number, to: number, kind: number, owner: number): void {
    const a = Math.max(0, from);
    const b = Math.min(this.kind.length, to);
    if (b <= a) return;
    this.kind.fill(kind, a, b);
    this.owner.fill(owner, a, b);
  }

  /** Reads skeleton[from, to) (the whole template, or the inside of a conditional comment). */
  private tokenize(from: number, to: number): void {
    const { skeleton, source } = this;
    let tag: OpenTag | undefined;
    let attribute: Attribute | undefined;
    let rawElement: { id: number; name: string } | undefined;
    const endTag = (end: number, selfClosing: boolean): void => {
      if (!tag) return;
      this.mark(tag.start, end + 1, TAG, tag.id);
      for (const index of tag.attributes) {
        const a = this.attributes[index];
        if (a.valueEnd > a.valueStart) this.mark(a.valueStart, a.valueEnd, ATTRIBUTE, index);
      }
      if (!selfClosing && (tag.name === 'script' || tag.name === 'style')) {
        rawElement = { id: this.raw.length, name: tag.name };
        this.raw.push(tag.name);
      }
      tag = undefined;
    };
    // The tokenizer counts from the start of what it reads: `o` is where that is in the template.
    const o = from;
    const tokenizer = new Tokenizer(
      { xmlMode: false, decodeEntities: false },
      {
        onopentagname: (start, end) => {
          const id = this.tags.length;
          tag = {
            id,
            name: source.slice(o + start, o + end).toLowerCase(),
            start: o + start - 1,
            attributes: [],
          };
          this.tags.push(tag);
        },
        onattribname: (start, end) => {
          attribute = {
            tag: tag?.id ?? -1,
            name: source.slice(o + start, o + end).toLowerCase(),
            valueStart: o + end,
            valueEnd: o + end,
            quote: QuoteType.NoValue,
          };
        },
        onattribdata: (start, end) => {
          if (!attribute) return;
          if (attribute.quote === QuoteType.NoValue) attribute.valueStart = o + start;
          attribute.valueEnd = o + end;
          attribute.quote = QuoteType.Unquoted; // until onattribend says how it was quoted
        },
        onattribentity: () => {},
        onattribend: (quote: number) => {
          if (!attribute || !tag) return;
          attribute.quote = quote as QuoteType;
          tag.attributes.push(this.attributes.length);
          this.attributes.push(attribute);
          attribute = undefined;
        },
        onopentagend: (end) => endTag(o + end, false),
        onselfclosingtag: (end) => endTag(o + end, true),
        onclosetag: (start, end) => {
          const name = source.slice(o + start, o + end).toLowerCase();
          const id = this.tags.length;
          this.tags.push({ name, attributes: [] });
          const close = skeleton.indexOf('>', o + end);
          this.mark(o + start - 2, close < 0 || close >= to ? to : close + 1, TAG, id);
          if (rawElement?.name === name) rawElement = undefined;
        },
        ontext: (start, end) => {
          if (rawElement) this.mark(o + start, o + end, RAW, rawElement.id);
        },
        ontextentity: () => {},
        oncomment: (start, end) => {
          this.mark(o + start, o + end, COMMENT, this.markups++);
          if (CONDITIONAL_COMMENT.test(skeleton.slice(o + start, o + Math.min(end, start + 32))))
            this.tokenize(o + start, o + end);
        },
        oncdata: (start, end) => this.mark(o + start, o + end, MARKUP, this.markups++),
        ondeclaration: (start, end) =>
          this.mark(o + start - 2, o + end + 1, MARKUP, this.markups++),
        onprocessinginstruction: (start, end) =>
          this.mark(o + start - 2, o + end + 1, MARKUP, this.markups++),
        onend: () => {
          // A tag still open at the end (`<a href="{{x}}` and nothing after): all of it is tag.
          if (tag) this.mark(tag.start, to, TAG, tag.id);
          tag = undefined;
        },
      },
    );
    tokenizer.write(skeleton.slice(from, to));
    tokenizer.end();
  }
}

/**
 * The template as the tokenizer should see it: each `{{…}}` that writes something becomes as
 * many letters (a value can be letters: `<{{x}}` opens a tag), every other `{{…}}` (blocks,
 * comments) as many spaces (they write nothing, and what they separate stays separate).
 * Same length, so offsets match the source.
 */
function skeletonOf(source: string, tags: readonly Tag[]): string {
  const out: string[] = [];
  let from = 0;
  for (const t of tags) {
    out.push(source.slice(from, t.start));
    const writes = t.kind === 'mustache' || t.kind === 'partial';
    out.push((writes ? 'x' : ' ').repeat(t.end - t.start));
    from = t.end;
  }
  out.push(source.slice(from));
  return out.join('');
}

/** Offsets of the starts of lines, with line breaks as the Handlebars lexer counts them. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (const m of source.matchAll(/\r\n?|\n/g)) starts.push(m.index + m[0].length);
  return starts;
}

/** Every mustache and partial statement of the template by the offset of its `{{`. */
function statementsByOffset(
  source: string,
  ast: hbs.AST.Program,
): Map<number, hbs.AST.MustacheStatement | hbs.AST.PartialStatement> {
  const starts = lineStarts(source);
  const found = new Map<number, hbs.AST.MustacheStatement | hbs.AST.PartialStatement>();
  // An explicit stack: the depth of blocks is the template's, whatever it is.
  const stack: (hbs.AST.Program | undefined)[] = [ast];
  while (stack.length > 0) {
    for (const s of stack.pop()?.body ?? []) {
      if (s.type === 'MustacheStatement' || s.type === 'PartialStatement') {
        const at = s.loc?.start;
        if (at) found.set((starts[at.line - 1] ?? 0) + at.column, s as hbs.AST.MustacheStatement);
      } else if ('program' in s || 'inverse' in s) {
        const block = s as hbs.AST.BlockStatement;
        stack.push(block.program, block.inverse);
      }
    }
  }
  return found;
}

function isLink(node: hbs.AST.MustacheStatement): boolean {
  const path = node.path as hbs.AST.PathExpression;
  return (
    path.type === 'PathExpression' &&
    !path.data &&
    path.depth === 0 &&
    path.parts.length === 1 &&
    path.parts[0] === 'link' &&
    path.original === 'link'
  );
}

function describe(node: hbs.AST.MustacheStatement): string {
  const path = node.path as hbs.AST.PathExpression;
  if (path.type !== 'PathExpression') return '{{…}}';
  const args = node.params.map((p) =>
    p.type === 'PathExpression' ? (p as hbs.AST.PathExpression).original : '…',
  );
  return `{{${[path.original, ...args].join(' ')}}}`;
}

/** The URL the value is, for the fix in a message: `{{link event.data.url}}`. */
function linkFix(node: hbs.AST.MustacheStatement): string {
  const path = node.path as hbs.AST.PathExpression;
  const isPath = path.type === 'PathExpression' && node.params.length === 0;
  return isPath ? `{{link ${path.original}}}` : '{{link …}}';
}

/**
 * Where each `{{…}}` of an HTML template lands as an HTML tokenizer (htmlparser2's) reads the
 * template, and what that allows: a value may fill text, comments and quoted attribute values,
 * but not a URL attribute (unless it is the URL `{{link}}` checked, or follows a fixed
 * `https://host/`), a style attribute or <style>, an on* attribute, a <script>, or the inside of
 * a tag outside a quoted value. Blocks must end where they started (both inside one attribute
 * value, or both between tags), so that every branch is read in the context checked here.
 */
export function checkHtmlContexts(
  source: string,
  ast: hbs.AST.Program,
  tags: readonly Tag[],
  part: TemplatePart = 'html',
): HtmlContextResult {
  const problems: TemplateValidationError[] = [];
  const attributeLinks: hbs.AST.MustacheStatement[] = [];
  const contexts = new Contexts(skeletonOf(source, tags), source);
  const starts = lineStarts(source);
  const at = (offset: number, message: string): void => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    problems.push({ part, line: lo + 1, column: offset - starts[lo] + 1, message });
  };
  const contextAt = (offset: number): HtmlContext => {
    const kind = contexts.kind[offset];
    const id = contexts.owner[offset];
    switch (kind) {
      case TAG:
        return { kind: 'tag', id, tag: contexts.tags[id]?.name ?? '' };
      case ATTRIBUTE: {
        const a = contexts.attributes[id];
        const tagName = contexts.tags[a.tag]?.name ?? '';
        const first = tags[firstTagFrom(tags, a.valueStart)];
        const prefixEnd = first && first.start < a.valueEnd ? first.start : a.valueEnd;
        const siblings = (contexts.tags[a.tag]?.attributes ?? []).map(
          (i) => contexts.attributes[i].name,
        );
        return {
          kind: 'attribute',
          id,
          tag: tagName,
          name: a.name,
          quoted: a.quote === QuoteType.Double || a.quote === QuoteType.Single,
          prefix: source.slice(a.valueStart, prefixEnd),
          url: tagName === 'meta' && a.name === 'content' && siblings.includes('http-equiv'),
        };
      }
      case COMMENT:
        return { kind: 'comment', id };
      case RAW:
        return { kind: 'raw', id, tag: contexts.raw[id] ?? '' };
      case MARKUP:
        return { kind: 'markup', id };
      default:
        return { kind: 'text' };
    }
  };
  const key = (c: HtmlContext): string => (c.kind === 'text' ? 'text' : `${c.kind}:${c.id}`);
  const where = (c: HtmlContext): string => {
    switch (c.kind) {
      case 'attribute':
        return `inside the ${c.name} attribute of <${c.tag}>`;
      case 'tag':
        return `inside the <${c.tag}> tag`;
      case 'raw':
        return `inside <${c.tag}>`;
      case 'comment':
        return 'inside an HTML comment';
      case 'markup':
        return 'inside <!…>';
      default:
        return 'between tags';
    }
  };

  const statements = statementsByOffset(source, ast);
  const blocks = new Map<number, { context: HtmlContext; reported: boolean }>();
  for (const t of tags) {
    const context = contextAt(Math.min(t.start, contexts.kind.length - 1));
    if (t.kind === 'open' || t.kind === 'else' || t.kind === 'elseChain' || t.kind === 'close') {
      if (t.block < 0) continue;
      const opened = blocks.get(t.block);
      if (!opened) {
        blocks.set(t.block, { context, reported: false });
      } else if (!opened.reported && key(opened.context) !== key(context)) {
        at(
          t.start,
          `This block starts ${where(opened.context)} and reaches here ${where(context)}; open and close it in the same place (both inside one attribute value, or both between tags).`,
        );
        opened.reported = true;
      }
      if (context.kind === 'tag') {
        // Between attributes a block must stand alone: `on{{/if}}click` would build a name.
        const before = source[t.start - 1] ?? ' ';
        if (!/[\s"'=}]/.test(before))
          at(
            t.start,
            `A block inside the <${context.tag}> tag must stand between attributes, after a space; put the whole attribute inside it.`,
          );
      }
      continue;
    }
    if (t.kind !== 'mustache' && t.kind !== 'partial') continue;
    const node = statements.get(t.start);
    if (!node) continue;
    if (node.type === 'PartialStatement') {
      if (context.kind !== 'text' && context.kind !== 'comment')
        at(
          t.start,
          `Partials insert HTML; use {{> ${(node.name as hbs.AST.PathExpression).original ?? '…'} …}} between tags, not ${where(context)}.`,
        );
      continue;
    }
    const mustache = node;
    const link = isLink(mustache);
    const shown = describe(mustache);
    switch (context.kind) {
      case 'text':
      case 'comment':
        continue;
      case 'raw':
        at(
          t.start,
          `${shown} is ${where(context)}: values cannot be used in ${context.tag === 'style' ? 'styles' : 'scripts'}. Write the ${context.tag === 'style' ? 'style' : 'script'} in the template without values.`,
        );
        continue;
      case 'markup':
        at(
          t.start,
          `${shown} is ${where(context)}; values can only be used in text and attributes.`,
        );
        continue;
      case 'tag':
        at(
          t.start,
          `${shown} is ${where(context)}, outside a quoted attribute value: a value there could add attributes. Put it inside quotes: title="${shown}".`,
        );
        continue;
      case 'attribute':
        break;
    }
    if (!context.quoted) {
      at(
        t.start,
        `${shown} fills the ${context.name} attribute of <${context.tag}> without quotes: a space in the value would start another attribute. Quote it: ${context.name}="${shown}".`,
      );
      continue;
    }
    if (context.name.startsWith('on')) {
      at(
        t.start,
        `${shown} fills the ${context.name} attribute of <${context.tag}>, which runs as a script: values cannot be used there.`,
      );
      continue;
    }
    if (context.name === 'style' || context.name === 'srcdoc') {
      at(
        t.start,
        `${shown} fills the ${context.name} attribute of <${context.tag}>: values cannot be used in ${context.name === 'style' ? 'styles' : 'srcdoc'}. Write the ${context.name} in the template without values.`,
      );
      continue;
    }
    if (link) {
      // {{link}} in an attribute writes only the URL it checked: an <a> has no place there.
      if (mustache.params.length > 1 || (mustache.hash?.pairs.length ?? 0) > 0)
        at(
          t.start,
          `In an attribute, {{link}} writes only the URL: ${context.name}="{{link ${describeArg(mustache.params[0])}}}", without a label or style.`,
        );
      else attributeLinks.push(mustache);
      continue;
    }
    if (URL_ATTRIBUTES.has(context.name) || context.url) {
      const fixed = SINGLE_URL_ATTRIBUTES.has(context.name) && FIXED_SCHEME.test(context.prefix);
      if (!fixed)
        at(
          t.start,
          `${shown} fills the ${context.name} attribute of <${context.tag}>, a URL: a value there could be a javascript: link. Use ${linkFix(mustache)}, which lets only http and https links through: ${context.name}="${linkFix(mustache)}".`,
        );
    }
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { problems, attributeLinks };
}

/** Index of the first tag that starts at or after `offset` (tags are in source order). */
function firstTagFrom(tags: readonly Tag[], offset: number): number {
  let lo = 0;
  let hi = tags.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tags[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function describeArg(node: hbs.AST.Expression | undefined): string {
  return node?.type === 'PathExpression' ? (node as hbs.AST.PathExpression).original : '…';
}

/**
 * Marks each `{{link}}` written inside an attribute value, so that it writes the checked URL
 * alone (`href="{{link event.data.url}}"`) rather than a whole <a> element.
 */
export function markAttributeLinks(
  source: string,
  ast: hbs.AST.Program,
  tags: readonly Tag[],
): void {
  for (const node of checkHtmlContexts(source, ast, tags).attributeLinks) {
    const value: hbs.AST.BooleanLiteral = {
      type: 'BooleanLiteral',
      value: true,
      original: true,
      loc: node.loc,
    };
    const pair: hbs.AST.HashPair = {
      type: 'HashPair',
      key: LINK_IN_ATTRIBUTE,
      value,
      loc: node.loc,
    };
    node.hash = node.hash
      ? { ...node.hash, pairs: [...node.hash.pairs, pair] }
      : { type: 'Hash', pairs: [pair], loc: node.loc };
  }
}
