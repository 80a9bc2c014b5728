import type { TemplateParts } from './default-template-store';
import type { TemplateLimit, TemplatePart, TemplateValidationError } from './template-problems';

export type { TemplateLimit };

/**
 * How much work one template part may ask for, whoever wrote it. Checked before a template is
 * parsed, at save and again before a program's template is compiled to render, so that the
 * parser, the compiler and the checks never see an input that costs more than these allow.
 */
export const TEMPLATE_LIMITS = {
  /** UTF-8 bytes per part. */
  bytes: { subject: 2 * 1024, html: 200 * 1024, text: 200 * 1024 },
  /** `{{…}}` that make a node of the template: expressions, blocks and each `{{else if}}`, partials. */
  mustaches: 1_000,
  /** `{{else if …}}` (any chained `{{else …}}`) after one block. */
  elseChain: 30,
  /** Blocks inside blocks; each `{{else if}}` is one more level, as the parser nests it. */
  blockDepth: 50,
  /** Sub-expressions inside sub-expressions: `(a (b (c)))` is 3. */
  subexpressionDepth: 10,
} as const;

/** A limit crossed: which, how much the part has, and where it first went over. */
export interface TemplateLimitProblem extends TemplateValidationError {
  limit: TemplateLimit;
  count: number;
  max: number;
}

export type TagKind =
  'mustache' | 'partial' | 'open' | 'else' | 'elseChain' | 'close' | 'comment' | 'raw';

/** One `{{…}}` of the source as the Handlebars lexer cuts it. */
export interface Tag {
  kind: TagKind;
  /** Offset of its first `{`. */
  start: number;
  /** Offset just after its last `}` (the end of the source when it is never closed). */
  end: number;
  /** The block it opens, continues or closes (open, else, elseChain, close); -1 for none. */
  block: number;
}

export interface ScanResult {
  tags: Tag[];
  problems: TemplateLimitProblem[];
}

const fmt = (n: number): string => n.toLocaleString('en');

/** 1-based line and column of an offset, with line breaks as the Handlebars lexer counts them. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function problem(
  part: TemplatePart,
  source: string,
  offset: number,
  limit: TemplateLimit,
  count: number,
  message: string,
): TemplateLimitProblem {
  return {
    part,
    ...positionOf(source, offset),
    message,
    limit,
    count,
    max: limitOf(part, limit),
  };
}

function limitOf(part: TemplatePart, limit: TemplateLimit): number {
  return limit === 'bytes' ? TEMPLATE_LIMITS.bytes[part] : TEMPLATE_LIMITS[limit];
}

/** The offset where the UTF-8 size of `source` goes over `max` bytes, or -1. */
function byteOverflow(source: string, max: number): number {
  // Each UTF-16 unit is at most 3 bytes (a surrogate pair is 4 for 2 units).
  if (source.length * 3 <= max) return -1;
  let bytes = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    bytes +=
      c < 0x80
        ? 1
        : c < 0x800
          ? 2
          : c >= 0xd800 && c <= 0xdbff
            ? 4
            : c >= 0xdc00 && c <= 0xdfff
              ? 0
              : 3;
    if (bytes > max) return i;
  }
  return -1;
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Whether only spaces and `~` stand between `from` and the next `}}`. */
function closesRightAway(source: string, from: number): boolean {
  let k = from;
  while (k < source.length && isSpace(source.charCodeAt(k))) k++;
  if (source.charCodeAt(k) === 126) k++;
  return source.startsWith('}}', k);
}

/**
 * Size and a single pass over the source, before it is parsed: the `{{…}}` tags as the lexer
 * cuts them, and every limit crossed, each once, at the tag that crossed it. Linear in the
 * length of the source and never recursive, so it is safe on any input.
 */
export function scanTemplate(part: TemplatePart, source: string): ScanResult {
  const problems: TemplateLimitProblem[] = [];
  const tags: Tag[] = [];
  const crossed = new Map<TemplateLimit, { offset: number; count: number }>();
  const cross = (limit: TemplateLimit, offset: number, count: number): void => {
    const seen = crossed.get(limit);
    if (!seen) crossed.set(limit, { offset, count });
    else if (count > seen.count) seen.count = count;
  };

  const bytesMax = TEMPLATE_LIMITS.bytes[part];
  const over = byteOverflow(source, bytesMax);
  if (over >= 0) cross('bytes', over, Buffer.byteLength(source, 'utf8'));

  let mustaches = 0;
  let depth = 0;
  let blocks = 0;
  // Open blocks, innermost last: the block's id and how many {{else …}} it chained.
  const open: { id: number; chain: number }[] = [];
  const node = (offset: number): void => {
    mustaches++;
    if (mustaches > TEMPLATE_LIMITS.mustaches) cross('mustaches', offset, mustaches);
  };
  const deeper = (offset: number): void => {
    depth++;
    if (depth > TEMPLATE_LIMITS.blockDepth) cross('blockDepth', offset, depth);
  };

  const n = source.length;
  let i = source.indexOf('{{');
  while (i >= 0 && i < n) {
    // `\{{` is text up to the next `{{`; `\\{{` is a backslash and a real tag.
    if (source.charCodeAt(i - 1) === 92 && source.charCodeAt(i - 2) !== 92) {
      i = source.indexOf('{{', i + 2);
      continue;
    }
    const start = i;
    if (source.startsWith('{{{{', i)) {
      // A raw block: its content is text up to the closing {{{{/…}}}}.
      const opener = source.indexOf('}}}}', i + 4);
      const closer = opener < 0 ? -1 : source.indexOf('{{{{/', opener + 4);
      const closerEnd = closer < 0 ? -1 : source.indexOf('}}}}', closer + 5);
      const end = closerEnd < 0 ? n : closerEnd + 4;
      node(start);
      tags.push({ kind: 'raw', start, end, block: -1 });
      i = source.indexOf('{{', end);
      continue;
    }
    let j = i + 2;
    if (source.charCodeAt(j) === 126) j++; // ~
    const c = source[j];
    let kind: TagKind;
    let block = -1;
    if (source.startsWith('!--', j)) {
      // The comment ends at the first --}} (or --~}}), the dashes of {{!-- included.
      const close = source.indexOf('--', j + 1);
      let end = n;
      for (let k = close; k >= 0; k = source.indexOf('--', k + 1)) {
        const after = source.charCodeAt(k + 2) === 126 ? k + 3 : k + 2;
        if (source.startsWith('}}', after)) {
          end = after + 2;
          break;
        }
      }
      tags.push({ kind: 'comment', start, end, block: -1 });
      i = source.indexOf('{{', end);
      continue;
    } else if (c === '!') {
      const close = source.indexOf('}}', j + 1);
      const end = close < 0 ? n : close + 2;
      tags.push({ kind: 'comment', start, end, block: -1 });
      i = source.indexOf('{{', end);
      continue;
    } else if (c === '>') {
      kind = 'partial';
      node(start);
    } else if (c === '#') {
      kind = 'open';
      node(start);
      deeper(start);
      block = blocks++;
      open.push({ id: block, chain: 0 });
    } else if (c === '/') {
      kind = 'close';
      const closing = open.pop();
      if (closing) {
        depth -= 1 + closing.chain;
        block = closing.id;
      }
    } else if (c === '^' && closesRightAway(source, j + 1)) {
      kind = 'else';
      block = open[open.length - 1]?.id ?? -1;
    } else if (c === '^') {
      kind = 'open';
      node(start);
      deeper(start);
      block = blocks++;
      open.push({ id: block, chain: 0 });
    } else {
      let k = j;
      while (k < n && isSpace(source.charCodeAt(k))) k++;
      if (source.startsWith('else', k)) {
        const current = open[open.length - 1];
        block = current?.id ?? -1;
        if (closesRightAway(source, k + 4)) {
          kind = 'else';
        } else {
          // {{else if …}}: the parser nests a new block in the inverse of the current one.
          kind = 'elseChain';
          node(start);
          deeper(start);
          if (current) {
            current.chain++;
            if (current.chain > TEMPLATE_LIMITS.elseChain) cross('elseChain', start, current.chain);
          }
        }
      } else {
        kind = 'mustache';
        node(start);
      }
    }

    // The rest of the tag up to its `}}`: strings and [segments] may hold braces and parentheses.
    let parens = 0;
    let end = n;
    let k = j;
    while (k < n) {
      const ch = source.charCodeAt(k);
      if (ch === 34 || ch === 39) {
        // A string literal: \" (or \') does not end it.
        k++;
        while (k < n && !(source.charCodeAt(k) === ch && source.charCodeAt(k - 1) !== 92)) k++;
        k++;
      } else if (ch === 91) {
        k++;
        while (k < n && !(source.charCodeAt(k) === 93 && source.charCodeAt(k - 1) !== 92)) k++;
        k++;
      } else if (ch === 40) {
        parens++;
        if (parens > TEMPLATE_LIMITS.subexpressionDepth) cross('subexpressionDepth', k, parens);
        k++;
      } else if (ch === 41) {
        if (parens > 0) parens--;
        k++;
      } else if (ch === 125 && source.charCodeAt(k + 1) === 125) {
        end = source.charCodeAt(k + 2) === 125 ? k + 3 : k + 2;
        break;
      } else if (ch === 123 && source.charCodeAt(k + 1) === 123) {
        // A new tag before this one closed: the parser refuses it; scan on from there.
        end = k;
        break;
      } else {
        k++;
      }
    }
    tags.push({ kind, start, end, block });
    i = end >= n ? -1 : source.indexOf('{{', end);
  }

  // The deepest nesting and the longest chain are only known at the end: count them all, then
  // report each limit once, where it was first crossed.
  for (const [limit, { offset, count }] of crossed)
    problems.push(problem(part, source, offset, limit, count, limitMessage(part, limit, count)));
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { tags, problems };
}

/** The limits a draft's parts cross, from their sizes and a scan (no parsing): cheap on any input. */
export function draftLimitProblems(draft: TemplateParts): TemplateLimitProblem[] {
  const problems: TemplateLimitProblem[] = [];
  for (const part of ['subject', 'html', 'text'] as const) {
    const source = draft[part];
    if (typeof source === 'string') problems.push(...scanTemplate(part, source).problems);
  }
  return problems;
}

function limitMessage(part: TemplatePart, limit: TemplateLimit, count: number): string {
  const max = fmt(limitOf(part, limit));
  switch (limit) {
    case 'bytes':
      return `The ${part} part is ${fmt(count)} bytes; at most ${max} are allowed (limit "bytes"). It goes over here; make it shorter.`;
    case 'mustaches':
      return `The ${part} part has ${fmt(count)} {{…}} expressions, blocks and partials; at most ${max} are allowed (limit "mustaches"). This is the first one over; use fewer.`;
    case 'elseChain':
      return `An {{else if}} chain of ${fmt(count)} branches; at most ${max} are allowed (limit "elseChain"). This is the first one over; use fewer branches or {{lookup}}.`;
    case 'blockDepth':
      return `Blocks are nested ${fmt(count)} deep (each {{else if}} counts as one level); at most ${max} are allowed (limit "blockDepth"). This block goes over; flatten the template.`;
    case 'subexpressionDepth':
      return `Sub-expressions are nested ${fmt(count)} deep; at most ${max} are allowed (limit "subexpressionDepth"). This "(" goes over; split the expression.`;
  }
}

type Node = hbs.AST.Node;

/**
 * The same limits counted on the parsed template, the way the parser built it: an `{{else if}}`
 * is a block in the inverse of the one before, a sub-expression is a SubExpression in the
 * parameters of another. An explicit stack, so no template can exhaust the call stack.
 */
export function astLimitProblems(
  part: TemplatePart,
  source: string,
  program: hbs.AST.Program,
): TemplateLimitProblem[] {
  const crossed = new Map<TemplateLimit, { node: Node; count: number }>();
  const cross = (limit: TemplateLimit, node: Node, count: number): void => {
    const seen = crossed.get(limit);
    if (!seen) crossed.set(limit, { node, count });
    else if (count > seen.count) seen.count = count;
  };
  let mustaches = 0;
  type Item =
    | { program: hbs.AST.Program | undefined; depth: number; chain: number }
    | { expr: Node; sub: number };
  const stack: Item[] = [{ program, depth: 0, chain: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('expr' in item) {
      const node = item.expr as hbs.AST.SubExpression;
      let sub = item.sub;
      if (node.type === 'SubExpression') {
        sub++;
        if (sub > TEMPLATE_LIMITS.subexpressionDepth) cross('subexpressionDepth', node, sub);
      }
      for (const child of expressionsOf(node)) stack.push({ expr: child, sub });
      continue;
    }
    const chained = (item.program as { chained?: boolean } | undefined)?.chained === true;
    for (const statement of item.program?.body ?? []) {
      switch (statement.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          continue;
        case 'BlockStatement':
        case 'DecoratorBlock':
        case 'PartialBlockStatement': {
          const block = statement as hbs.AST.BlockStatement;
          mustaches++;
          if (mustaches > TEMPLATE_LIMITS.mustaches) cross('mustaches', block, mustaches);
          const depth = item.depth + 1;
          if (depth > TEMPLATE_LIMITS.blockDepth) cross('blockDepth', block, depth);
          // A block alone in a chained inverse is an {{else if}} of the block around it.
          const chain = chained ? item.chain + 1 : 0;
          if (chain > TEMPLATE_LIMITS.elseChain) cross('elseChain', block, chain);
          for (const child of expressionsOf(block)) stack.push({ expr: child, sub: 0 });
          stack.push({ program: block.program, depth, chain: 0 });
          stack.push({ program: block.inverse, depth, chain });
          continue;
        }
        default: {
          mustaches++;
          if (mustaches > TEMPLATE_LIMITS.mustaches) cross('mustaches', statement, mustaches);
          for (const child of expressionsOf(statement)) stack.push({ expr: child, sub: 0 });
        }
      }
    }
  }
  return [...crossed]
    .map(([limit, { node, count }]) => {
      const at = node.loc?.start;
      return {
        part,
        line: at?.line ?? 1,
        column: (at?.column ?? 0) + 1,
        message: limitMessage(part, limit, count),
        limit,
        count,
        max: limitOf(part, limit),
      };
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The expressions directly inside a node: its path, parameters and hash values. */
function expressionsOf(node: Node): Node[] {
  const n = node as {
    path?: Node;
    name?: Node;
    params?: Node[];
    hash?: hbs.AST.Hash;
  };
  const out: Node[] = [];
  if (n.path) out.push(n.path);
  if (n.name && typeof n.name === 'object') out.push(n.name);
  if (n.params) out.push(...n.params);
  for (const pair of n.hash?.pairs ?? []) out.push(pair.value);
  return out;
}
