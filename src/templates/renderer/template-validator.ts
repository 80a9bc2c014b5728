import Handlebars from 'handlebars';
import type { TemplateParts } from './default-template-store';
import { contractFor, type Field } from './email-types';
import { checkHtmlContexts } from './html-context';
import {
  DATE_FORMAT_NAMES,
  KNOWN_HELPERS,
  simpleName,
  TEMPLATE_HELPERS,
  TEMPLATE_PARTIALS,
} from './template-helpers';
import { astLimitProblems, scanTemplate, type Tag } from './template-limits';
import { unclosedBlock } from './unclosed-block';
import type { TemplatePart, TemplateValidationError } from './template-problems';

export type { TemplateValidationError };

/** What a program submits: a missing text part is derived from the HTML when sending. */
export type TemplateDraft = TemplateParts;

type AST = hbs.AST.Node;
type Expr = hbs.AST.Expression;

// Names that reach JavaScript internals rather than data. Handlebars denies them at runtime;
// the validator names them, so the author learns why the value is blank.
const FORBIDDEN = new Set([
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const EACH_DATA: Readonly<Record<string, Field>> = {
  index: { kind: 'number', description: 'Position in the list, from 0.' },
  first: { kind: 'boolean', description: 'First item.' },
  last: { kind: 'boolean', description: 'Last item.' },
  key: { kind: 'string', description: 'Field name (or position) of the item.' },
};

const STRING: Field = { kind: 'string', description: 'text' };
const NUMBER: Field = { kind: 'number', description: 'number' };
const BOOLEAN: Field = { kind: 'boolean', description: 'true or false' };
const OPEN: Field = { kind: 'open', description: 'anything' };

const COMPILE_OPTIONS = { strict: true, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true };

// Its own environment: the validator never touches the renderer's helpers or partials.
const hb = Handlebars.create();

interface Scope {
  type: Field;
  blockParams: Map<string, Field>;
  inEach: boolean;
  /** Paths known not to be null here, because an enclosing {{#if}} checked them. */
  guards: ReadonlySet<string>;
  /** How this scope was entered, for hints ("inside {{#each event.details}}"). */
  entered?: string;
}

/**
 * Checks a template against the variables of its email type (`generic` for a program's own
 * keys): syntax, unknown variables and fields, helpers, partials, raw HTML output.
 * Returns every problem found, with the part, line and column; an empty list means valid.
 */
export function validateTemplate(key: string, draft: TemplateDraft): TemplateValidationError[] {
  const root: Field = { kind: 'object', description: key, fields: contractFor(key).variables };
  const errors: TemplateValidationError[] = [];
  for (const part of ['subject', 'html', 'text'] as const) {
    const source = draft[part];
    if (typeof source === 'string') errors.push(...validatePart(part, source, root));
  }
  return errors;
}

function validatePart(part: TemplatePart, source: string, root: Field): TemplateValidationError[] {
  // Size and shape first, in one linear pass: the parser, the compiler and the checks below
  // recurse once per nested block or sub-expression, and an {{else if}} chain thousands long or
  // thousands of expressions keep them busy for seconds. Nothing over the limits is parsed.
  const scan = scanTemplate(part, source);
  if (scan.problems.length > 0) return scan.problems;
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (err) {
    return [syntaxError(part, source, err, scan.tags)];
  }
  // The same limits as the parser built the tree (the scan is a cheaper reading of the source).
  const limits = astLimitProblems(part, source, ast);
  if (limits.length > 0) return limits;
  const checker = new Checker(part);
  checker.program(ast, [{ type: root, blockParams: new Map(), inEach: false, guards: new Set() }]);
  const errors =
    part === 'html'
      ? [...checker.errors, ...checkHtmlContexts(source, ast, scan.tags, part).problems]
      : checker.errors;
  if (errors.length > 0) return errors;
  try {
    // What the walk does not model, the compiler still refuses.
    hb.precompile(ast, part === 'html' ? COMPILE_OPTIONS : { ...COMPILE_OPTIONS, noEscape: true });
  } catch (err) {
    return [syntaxError(part, source, err)];
  }
  return [];
}

function syntaxError(
  part: TemplatePart,
  source: string,
  err: unknown,
  tags: readonly Tag[] = [],
): TemplateValidationError {
  const e = err as { message?: unknown; lineNumber?: unknown; column?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.lineNumber === 'number') {
    // A Handlebars exception with its own location (mismatched block, invalid path).
    const column = typeof e.column === 'number' ? e.column + 1 : 1;
    return {
      part,
      line: e.lineNumber,
      column,
      message: `Syntax error: ${message.replace(/ - \d+:\d+$/, '')}`,
    };
  }
  // A parser error: the thrown message has only the line, the lexer still holds the token position.
  const parser = (hb as unknown as { Parser?: { lexer?: { yylloc?: Yylloc } } }).Parser;
  const loc = parser?.lexer?.yylloc;
  const lineMatch = /(?:Parse|Lexical) error on line (\d+)/.exec(message);
  const line = lineMatch ? Number(lineMatch[1]) : (loc?.first_line ?? 1);
  const column = loc && loc.first_line === line ? loc.first_column + 1 : 1;
  const snippet = loc && loc.first_line === line ? tokenAt(source, loc) : '';
  const description = describeParseError(message, snippet);
  // The parser stops at the end; the author needs where the block that never ends began.
  const unclosed = description === ENDS_INSIDE_BLOCK ? unclosedBlock(source, tags) : undefined;
  if (unclosed)
    return {
      part,
      line: unclosed.line,
      column: unclosed.column,
      message: `Syntax error: ${unclosed.opening} is never closed; add ${unclosed.closing} where the block ends.`,
    };
  return { part, line, column, message: `Syntax error: ${description}` };
}

const ENDS_INSIDE_BLOCK = 'the template ends inside a block: its closing {{/…}} is missing';

interface Yylloc {
  first_line: number;
  first_column: number;
  last_line: number;
  last_column: number;
}

function tokenAt(source: string, loc: Yylloc): string {
  const text = source.split('\n')[loc.first_line - 1] ?? '';
  const end =
    loc.last_line === loc.first_line
      ? Math.max(loc.last_column, loc.first_column + 1)
      : text.length;
  return text.slice(loc.first_column, Math.min(end, loc.first_column + 20));
}

function describeParseError(message: string, snippet: string): string {
  if (message.startsWith('Lexical error'))
    return 'unrecognized text (an unclosed comment or string?)';
  const got = /got '([^']+)'/.exec(message)?.[1];
  const expected = /Expecting (.*), got/.exec(message)?.[1] ?? '';
  if (got === 'EOF') {
    return /OPEN_ENDBLOCK|INVERSE/.test(expected)
      ? ENDS_INSIDE_BLOCK
      : 'the template ends inside an expression: "}}" is missing';
  }
  if (got === 'INVERSE' || got === 'OPEN_INVERSE_CHAIN') return '{{else}} outside of a block';
  const unexpected = snippet ? `unexpected "${snippet}"` : 'unexpected text';
  if (/'CLOSE'/.test(expected)) return `${unexpected}; expected "}}"`;
  if (/'CLOSE_UNESCAPED'/.test(expected)) return `${unexpected}; expected "}}}"`;
  if (/'CLOSE_SEXPR'/.test(expected)) return `${unexpected}; expected ")"`;
  if (/'ID'/.test(expected)) return `${unexpected}; expected a name`;
  return unexpected;
}

function own<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
}

function kindName(field: Field): string {
  switch (field.kind) {
    case 'string':
      return 'text';
    case 'url':
      return 'a URL';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'date':
      return 'a date';
    case 'list':
      return 'a list';
    case 'object':
      return 'an object';
    case 'open':
      return 'free-form data';
  }
}

export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3))
    ? best
    : undefined;
}

// Optimal string alignment distance: a swapped pair of letters counts as one typo.
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

class Checker {
  readonly errors: TemplateValidationError[] = [];

  constructor(private readonly part: TemplatePart) {}

  program(program: hbs.AST.Program | undefined, scopes: Scope[]): void {
    for (const statement of program?.body ?? []) this.statement(statement, scopes);
  }

  private error(node: AST, message: string): void {
    this.errors.push({
      part: this.part,
      line: node.loc?.start.line ?? 1,
      column: (node.loc?.start.column ?? 0) + 1,
      message,
    });
  }

  private statement(node: hbs.AST.Statement, scopes: Scope[]): void {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement':
        return this.mustache(node as hbs.AST.MustacheStatement, scopes);
      case 'BlockStatement':
        return this.block(node as hbs.AST.BlockStatement, scopes);
      case 'PartialStatement':
        return this.partial(node as hbs.AST.PartialStatement, scopes);
      case 'PartialBlockStatement':
        return this.error(node, 'Partial blocks ({{#> …}}) are not supported; use {{> name}}.');
      case 'DecoratorBlock':
      case 'Decorator':
        return this.error(node, 'Decorators ({{* …}}) are not supported.');
      default:
        return this.error(node, `Unsupported template syntax (${node.type}).`);
    }
  }

  private mustache(node: hbs.AST.MustacheStatement, scopes: Scope[]): void {
    if (this.part === 'html' && !node.escaped) {
      this.error(
        node,
        'Triple braces {{{…}}} and {{&…}} insert raw HTML; use {{…}} so the value is escaped.',
      );
    }
    if (node.path.type !== 'PathExpression') return;
    const path = node.path as hbs.AST.PathExpression;
    if (this.isCall(path, node.params, node.hash)) {
      const { result } = this.call(node, scopes, 'inline');
      if (simpleName(path) === 'lookup' && result?.nullable)
        this.error(
          node,
          `{{lookup ${node.params.map(describeExpr).join(' ')}}} can be empty; show it inside {{#if}}, or give a fallback with {{default (lookup …) "…"}}.`,
        );
      return;
    }
    const type = this.path(path, scopes);
    if (type && type.nullable && type.kind !== 'object' && !this.guarded(path, scopes)) {
      // Strict mode prints null as a blank: "Welcome, !". The author decides what shows instead.
      this.error(node, optionalUsedBare(path.original, type));
      return;
    }
    if (type?.kind === 'object') {
      const example = Object.keys(type.fields)[0];
      this.error(
        node,
        `"${path.original}" is an object; name one of its fields${example ? `, e.g. ${path.original}.${example}` : ''}.`,
      );
    } else if (type?.kind === 'list') {
      this.error(
        node,
        `"${path.original}" is a list; go through it with {{#each ${path.original}}}…{{/each}}.`,
      );
    }
  }

  private isCall(
    path: hbs.AST.PathExpression,
    params: Expr[],
    hash: hbs.AST.Hash | undefined,
  ): boolean {
    if (params.length > 0 || (hash?.pairs.length ?? 0) > 0) return true;
    return simpleName(path) !== undefined && own(TEMPLATE_HELPERS, path.parts[0]) !== undefined;
  }

  private block(node: hbs.AST.BlockStatement, scopes: Scope[]): void {
    const name = simpleName(node.path);
    const spec = name !== undefined ? own(TEMPLATE_HELPERS, name) : undefined;
    if (!spec || !spec.block) {
      if (spec) {
        this.error(node, `"${name}" is not a block helper; write {{${name} …}}.`);
      } else if (node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0) {
        this.call(node, scopes, 'block');
      } else {
        this.error(
          node,
          `{{#${node.path.original}}} sections are not supported; use {{#if ${node.path.original}}} or {{#with ${node.path.original}}}.`,
        );
        // Check the inside as {{#with}} would see it, so the one mistake is reported once.
        const type = this.path(node.path, scopes) ?? OPEN;
        this.program(node.program, [
          ...scopes,
          {
            type: type.kind === 'object' ? type : OPEN,
            blockParams: new Map(),
            inEach: false,
            guards: new Set(),
          },
        ]);
        this.program(node.inverse, scopes);
        return;
      }
      this.program(node.program, scopes);
      this.program(node.inverse, scopes);
      return;
    }

    const [subject] = this.call(node, scopes, 'block').params;
    const entered = `{{#${name} ${describeExpr(node.params[0])}}}`;
    const blockParams = node.program?.blockParams ?? [];
    if (name === 'if' || name === 'unless') {
      // Inside {{#if x}} (or the else of {{#unless x}}) x is not null.
      const guarded = this.guard(node.params[0], scopes);
      this.program(node.program, name === 'if' ? guarded : scopes);
      this.program(node.inverse, name === 'unless' ? guarded : scopes);
      return;
    } else if (name === 'with') {
      let type = subject ?? OPEN;
      if (type.kind !== 'object' && type.kind !== 'open') {
        this.error(
          node.params[0] ?? node,
          `{{#with}} needs an object; "${describeExpr(node.params[0])}" is ${kindName(type)}.`,
        );
        type = OPEN;
      }
      const params = new Map<string, Field>();
      if (blockParams[0]) params.set(blockParams[0], type);
      this.program(node.program, [
        ...scopes,
        { type, blockParams: params, inEach: false, guards: new Set(), entered },
      ]);
    } else if (name === 'each') {
      let item: Field = OPEN;
      let key: Field = STRING;
      if (subject?.kind === 'list') {
        item = subject.of;
        key = NUMBER;
      } else if (subject && subject.kind !== 'object' && subject.kind !== 'open') {
        this.error(
          node.params[0] ?? node,
          `{{#each}} needs a list; "${describeExpr(node.params[0])}" is ${kindName(subject)}.`,
        );
      }
      const params = new Map<string, Field>();
      if (blockParams[0]) params.set(blockParams[0], item);
      if (blockParams[1]) params.set(blockParams[1], key);
      this.program(node.program, [
        ...scopes,
        { type: item, blockParams: params, inEach: true, guards: new Set(), entered },
      ]);
    }
    this.program(node.inverse, scopes);
  }

  private partial(node: hbs.AST.PartialStatement, scopes: Scope[]): void {
    if (this.part !== 'html') {
      this.error(node, 'Partials can only be used in the HTML part.');
      return;
    }
    if (node.name.type !== 'PathExpression') {
      this.error(node, 'Dynamic partials ({{> (…)}}) are not supported.');
      return;
    }
    const name = node.name.original;
    const required = own(TEMPLATE_PARTIALS, name);
    if (!required) {
      const hint = closest(name, Object.keys(TEMPLATE_PARTIALS));
      this.error(
        node,
        `Unknown partial "${name}".${hint ? ` Did you mean "${hint}"?` : ''} Partials: ${Object.keys(TEMPLATE_PARTIALS).join(', ')}.`,
      );
      return;
    }
    if (node.params.length > 0)
      this.error(
        node,
        `Pass values to "${name}" by name: {{> ${name} ${required.map((k) => `${k}=…`).join(' ')}}}.`,
      );
    const given = new Set<string>();
    for (const pair of node.hash?.pairs ?? []) {
      given.add(pair.key);
      if (!required.includes(pair.key))
        this.error(
          pair,
          `Partial "${name}" has no option "${pair.key}"; it takes ${required.join(', ')}.`,
        );
      this.expr(pair.value, scopes);
    }
    const missing = required.filter((k) => !given.has(k));
    if (missing.length > 0)
      this.error(node, `Partial "${name}" needs ${missing.map((k) => `${k}=…`).join(' ')}.`);
  }

  /** Checks a helper call; returns the types of its parameters and of its result. */
  private call(
    node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression,
    scopes: Scope[],
    mode: 'inline' | 'block' | 'subexpression',
  ): { params: (Field | undefined)[]; result: Field | undefined } {
    const path = node.path as hbs.AST.PathExpression;
    const name = simpleName(path);
    const spec = name !== undefined ? own(TEMPLATE_HELPERS, name) : undefined;
    const types = node.params.map((p) => this.expr(p, scopes));
    for (const pair of node.hash?.pairs ?? []) this.expr(pair.value, scopes);

    if (!spec || name === undefined) {
      const hint = name !== undefined ? closest(name, Object.keys(TEMPLATE_HELPERS)) : undefined;
      this.error(
        path,
        `Unknown helper "${path.original}".${hint ? ` Did you mean "${hint}"?` : ''} Helpers: ${Object.keys(TEMPLATE_HELPERS).join(', ')}.`,
      );
      return { params: types, result: undefined };
    }
    if (mode !== 'block' && spec.block) {
      this.error(path, `"${name}" is a block helper: ${spec.usage}`);
      return { params: types, result: undefined };
    }
    const count = node.params.length;
    if (count < spec.minParams || count > spec.maxParams) {
      const range =
        spec.minParams === spec.maxParams
          ? `${spec.minParams}`
          : `${spec.minParams} to ${spec.maxParams}`;
      this.error(
        path,
        `"${name}" takes ${range} argument${spec.maxParams === 1 ? '' : 's'}, got ${count}: ${spec.usage}`,
      );
      return { params: types, result: undefined };
    }
    for (const pair of node.hash?.pairs ?? []) {
      if (!spec.hash?.includes(pair.key))
        this.error(pair, `"${name}" has no option "${pair.key}".`);
      else if (name === 'link' && pair.key === 'style' && pair.value.type !== 'StringLiteral')
        // The style lands in the style attribute of the link: values cannot be used there.
        this.error(
          pair.value,
          `The style of {{link}} must be written in the template (style="color:#1d4ed8"); a value cannot be used in a style.`,
        );
    }
    this.checkArguments(name, node.params, types);
    this.checkEmptyArguments(name, node.params, types, scopes);
    if (name === 'eq') return { params: types, result: BOOLEAN };
    if (name === 'lookup') return { params: types, result: this.lookup(node.params, types) };
    return { params: types, result: STRING };
  }

  /**
   * `money`, `date` and `link` cannot show an empty amount, date or URL, and the fallback of
   * `default` is what shows when its value is empty: none of these may be an optional variable
   * unless an enclosing {{#if}} checked it.
   */
  private checkEmptyArguments(
    name: string,
    params: Expr[],
    types: (Field | undefined)[],
    scopes: Scope[],
  ): void {
    const index = name === 'default' ? 1 : ['money', 'date', 'link'].includes(name) ? 0 : -1;
    const param = params[index];
    const type = types[index];
    if (!param || !type?.nullable || param.type !== 'PathExpression') return;
    const path = param as hbs.AST.PathExpression;
    if (this.guarded(path, scopes)) return;
    this.error(
      param,
      name === 'default'
        ? `The fallback "${path.original}" can be empty too; give a text, such as {{default ${describeExpr(params[0])} "there"}}.`
        : `"${path.original}" can be empty, and {{${name}}} needs a value; use it inside {{#if ${path.original}}}…{{/if}}.`,
    );
  }

  /** Whether an enclosing {{#if}} (or the {{else}} of an {{#unless}}) checked this very value. */
  private guarded(path: hbs.AST.PathExpression, scopes: Scope[]): boolean {
    const start = locate(path, scopes);
    if ('problem' in start) return false;
    const id = `${start.key}/${start.parts.join('.')}`;
    return scopes.some((s) => s.guards.has(id));
  }

  private checkArguments(name: string, params: Expr[], types: (Field | undefined)[]): void {
    const expect = (index: number, kinds: Field['kind'][], what: string): void => {
      const type = types[index];
      if (type && !kinds.includes(type.kind) && type.kind !== 'open') {
        this.error(
          params[index],
          `"${name}" expects ${what}; "${describeExpr(params[index])}" is ${kindName(type)}.`,
        );
      }
    };
    if (name === 'money') {
      expect(0, ['number'], 'a number');
      if (params[1]?.type !== 'NullLiteral' && params[1]?.type !== 'UndefinedLiteral')
        expect(1, ['string'], 'a currency code');
    } else if (name === 'date') {
      expect(0, ['date'], 'a date');
      const format = params[1];
      if (
        format?.type === 'StringLiteral' &&
        !DATE_FORMAT_NAMES.includes((format as hbs.AST.StringLiteral).value)
      ) {
        this.error(
          format,
          `Unknown date format "${(format as hbs.AST.StringLiteral).value}"; use one of ${DATE_FORMAT_NAMES.join(', ')}.`,
        );
      }
    } else if (name === 'link') {
      expect(0, ['url', 'string'], 'a URL');
    } else if (name === 'eq') {
      for (const [a, b] of [
        [0, 1],
        [1, 0],
      ]) {
        const type = types[a];
        const literal = params[b];
        if (type?.kind === 'string' && type.values && literal?.type === 'StringLiteral') {
          const value = (literal as hbs.AST.StringLiteral).value;
          if (!type.values.includes(value)) {
            this.error(
              literal,
              `"${describeExpr(params[a])}" is never "${value}"; it is one of ${type.values.join(', ')}.`,
            );
          }
        }
      }
    }
  }

  private expr(node: Expr, scopes: Scope[]): Field | undefined {
    switch (node.type) {
      case 'PathExpression':
        return this.path(node as hbs.AST.PathExpression, scopes);
      case 'SubExpression':
        return this.call(node as hbs.AST.SubExpression, scopes, 'subexpression').result;
      case 'StringLiteral':
        return STRING;
      case 'NumberLiteral':
        return NUMBER;
      case 'BooleanLiteral':
        return BOOLEAN;
      default:
        return undefined;
    }
  }

  private lookup(params: Expr[], types: (Field | undefined)[]): Field | undefined {
    const [target] = types;
    const key = params[1];
    if (key?.type !== 'StringLiteral') return OPEN;
    const name = (key as hbs.AST.StringLiteral).value;
    if (FORBIDDEN.has(name)) {
      this.error(key, `"${name}" cannot be used in a template.`);
      return undefined;
    }
    if (target?.kind !== 'object') return OPEN;
    const field = own(target.fields, name);
    if (!field) {
      const hint = closest(name, Object.keys(target.fields));
      this.error(
        key,
        `"${describeExpr(params[0])}" has no field "${name}".${hint ? ` Did you mean "${hint}"?` : ''}`,
      );
    }
    return field;
  }

  private path(path: hbs.AST.PathExpression, scopes: Scope[]): Field | undefined {
    const forbidden = path.parts.find((p) => FORBIDDEN.has(p));
    if (forbidden !== undefined) {
      this.error(path, `"${forbidden}" cannot be used in a template.`);
      return undefined;
    }
    const start = locate(path, scopes);
    if ('problem' in start) {
      this.error(path, start.problem);
      return undefined;
    }
    return this.walk(path, start, scopes);
  }

  /** The scopes with `node` (a path) marked as checked for null. */
  private guard(node: Expr | undefined, scopes: Scope[]): Scope[] {
    if (node?.type !== 'PathExpression') return scopes;
    const start = locate(node as hbs.AST.PathExpression, scopes);
    if ('problem' in start) return scopes;
    const last = scopes[scopes.length - 1];
    const guards = new Set(last.guards).add(`${start.key}/${start.parts.join('.')}`);
    return [...scopes.slice(0, -1), { ...last, guards }];
  }

  /** Follows the path from where it starts; reports the first segment that does not exist. */
  private walk(path: hbs.AST.PathExpression, start: Start, scopes: Scope[]): Field | undefined {
    const { prefix, parts, key, scope } = start;
    const root = scopes[0].type;
    let current = start.type;
    const walked: string[] = [];
    const name = (segments: string[]): string =>
      segments.length > 0 ? prefix + segments.join('.') : prefix.replace(/\.$/, '') || 'this';
    for (const part of parts) {
      if (
        walked.length > 0 &&
        current.nullable &&
        !scopes.some((s) => s.guards.has(`${key}/${walked.join('.')}`))
      ) {
        // Strict mode throws on a field of null, so a nullable object must be checked first.
        this.error(
          path,
          `"${name(walked)}" can be null; use it inside {{#if ${name(walked)}}}…{{/if}}.`,
        );
        return undefined;
      }
      if (current.kind === 'open') return OPEN;
      if (current.kind === 'object') {
        const next = own(current.fields, part);
        if (!next) {
          const candidates = Object.keys(current.fields);
          const hint = closest(part, candidates);
          let message = `Unknown variable "${name([...walked, part])}".`;
          if (hint) message += ` Did you mean "${name([...walked, hint])}"?`;
          if (
            walked.length === 0 &&
            scope?.entered &&
            root.kind === 'object' &&
            own(root.fields, part)
          ) {
            // Inside {{#each}} / {{#with}} the context is the current item; top-level names need @root.
            message = `Unknown variable "${name([part])}" inside ${scope.entered}, where the context is the current item. Use @root.${parts.join('.')}.`;
          } else if (!hint && candidates.length > 0 && candidates.length <= 12) {
            message += ` Available here: ${candidates.join(', ')}.`;
          }
          this.error(path, message);
          return undefined;
        }
        current = next;
      } else if (current.kind === 'list') {
        if (part === 'length') current = NUMBER;
        else if (/^\d+$/.test(part)) current = current.of;
        else {
          this.error(
            path,
            `"${name(walked)}" is a list; go through it with {{#each ${name(walked)}}}…{{/each}}.`,
          );
          return undefined;
        }
      } else {
        this.error(path, `"${name(walked)}" is ${kindName(current)}; it has no field "${part}".`);
        return undefined;
      }
      walked.push(part);
    }
    return current;
  }
}

interface Start {
  /** Type the path starts from. */
  type: Field;
  /** Segments to follow from there. */
  parts: string[];
  /** How the start is written, for messages: "", "this.", "../", "@root.", "row.". */
  prefix: string;
  /** Identifies the start, so that {{#if}} guards match the same value however it is reached. */
  key: string;
  scope?: Scope;
}

/** Where a path starts: the current scope, a parent (`../`), a block parameter, or a data variable. */
function locate(path: hbs.AST.PathExpression, scopes: Scope[]): Start | { problem: string } {
  if (path.data) {
    const [name, ...rest] = path.parts;
    if (name === 'root')
      return { type: scopes[0].type, parts: rest, prefix: '@root.', key: 'scope0' };
    const eachData = own(EACH_DATA, name);
    if (eachData && scopes.some((s) => s.inEach))
      return { type: eachData, parts: rest, prefix: `@${name}.`, key: `@${name}` };
    return {
      problem: eachData
        ? `"@${name}" only exists inside {{#each}}.`
        : `Unknown data variable "@${name}". Available: @root${scopes.some((s) => s.inEach) ? ', @index, @key, @first, @last' : ''}.`,
    };
  }
  const level = scopes.length - 1 - path.depth;
  if (level < 0) return { problem: `"${path.original}" goes above the top level; remove a "../".` };
  const scoped = /^(\.|this\b)/.test(path.original);
  if (!scoped && path.depth === 0 && path.parts.length > 0) {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const param = scopes[i].blockParams.get(path.parts[0]);
      if (param)
        return {
          type: param,
          parts: path.parts.slice(1),
          prefix: `${path.parts[0]}.`,
          key: `scope${i}:${path.parts[0]}`,
        };
    }
  }
  const prefix = `${'../'.repeat(path.depth)}${scoped && path.original.startsWith('this') ? 'this.' : ''}`;
  return {
    type: scopes[level].type,
    parts: path.parts,
    prefix,
    key: `scope${level}`,
    scope: scopes[level],
  };
}

/** The refusal of an optional variable shown bare, with both ways to fix it. */
function optionalUsedBare(name: string, type: Field): string {
  const fallback = type.kind === 'number' ? '0' : '"there"';
  return `"${name}" is optional and can be empty, which would leave a blank. Give a fallback, {{default ${name} ${fallback}}}, or show it only when it is there: {{#if ${name}}}…{{${name}}}…{{/if}}.`;
}

function describeExpr(node: Expr | undefined): string {
  if (!node) return '…';
  if (node.type === 'PathExpression') return (node as hbs.AST.PathExpression).original;
  if (node.type === 'StringLiteral') return JSON.stringify((node as hbs.AST.StringLiteral).value);
  if (node.type === 'SubExpression') return `(${(node as hbs.AST.SubExpression).path.original} …)`;
  const original = (node as { original?: unknown }).original;
  return typeof original === 'number' || typeof original === 'boolean'
    ? String(original)
    : node.type;
}
