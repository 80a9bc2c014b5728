import type Handlebars from 'handlebars';
import { compilersOf, subclass } from './compiler-subclass';
import { simpleName, TEMPLATE_HELPERS, TemplateValueMissing } from './template-helpers';

/** A mustache whose value must not be empty, and the name its error gives it. */
type Marked = hbs.AST.MustacheStatement & { requirePresent?: string };

/**
 * Marks every bare value a template shows (`{{participant.firstName}}`, `{{lookup a "b"}}`) so
 * that a compiler set up by useRequiredValues checks it: an empty value (null or "") stops the
 * render (TEMPLATE_DATA_MISSING) instead of leaving a blank. Strict mode only catches a missing
 * variable. Values given to {{#if}}, helpers and partials are left alone: those decide what an
 * empty value means.
 */
export function requirePresentValues(program: hbs.AST.Program): hbs.AST.Program {
  visit(program);
  return program;
}

function visit(program: hbs.AST.Program | undefined): void {
  for (const statement of program?.body ?? []) {
    if (statement.type === 'MustacheStatement') mark(statement as Marked);
    else if (statement.type === 'BlockStatement') {
      const block = statement as hbs.AST.BlockStatement;
      visit(block.program);
      visit(block.inverse);
    }
  }
}

function mark(node: Marked): void {
  if (node.path.type !== 'PathExpression') return;
  const path = node.path as hbs.AST.PathExpression;
  const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
  const name = simpleName(path);
  if (!hasArgs) {
    // A helper written without arguments is a call, not a value (the validator refuses it).
    if (name === undefined || !Object.prototype.hasOwnProperty.call(TEMPLATE_HELPERS, name))
      node.requirePresent = path.original;
  } else if (name === 'lookup') {
    // Its result is a value like any other.
    const [target, key] = node.params;
    node.requirePresent =
      target?.type === 'PathExpression' && key?.type === 'StringLiteral'
        ? `${(target as hbs.AST.PathExpression).original}.${(key as hbs.AST.StringLiteral).value}`
        : 'lookup';
  }
}

/**
 * What the compiled code calls with each marked value, through the render's data frame (see
 * RenderFrame.present): the value itself, or TemplateValueMissing naming it and where.
 */
export function requirePresent(
  value: unknown,
  name: string,
  line: number,
  column: number,
): unknown {
  // undefined: a field the data lacks, or one prototype access denies (`constructor`).
  if (value === null || value === undefined || value === '')
    throw new TemplateValueMissing(name, line, column + 1);
  return value;
}

// The compiled code reaches it through `data`, the frame every compiled function is given.
const PRESENT = 'data.present';

type Method = (this: CompilerState, ...args: unknown[]) => unknown;

interface CompilerState {
  options: { noEscape?: boolean };
  opcode(name: string, ...args: unknown[]): void;
  SubExpression(node: hbs.AST.MustacheStatement): void;
  push(source: unknown): void;
  popStack(): unknown;
}

/**
 * Makes `hb` compile a check into every value requirePresentValues marked: one plain function
 * call, no helper options built, so a list of thousands of values costs next to nothing more.
 */
export function useRequiredValues(hb: typeof Handlebars): void {
  const env = compilersOf(hb);
  const compiler = env.Compiler.prototype as Record<string, Method>;
  env.Compiler = subclass(env.Compiler, {
    MustacheStatement(this: CompilerState, node: unknown) {
      const mustache = node as Marked;
      if (mustache.requirePresent === undefined)
        return compiler.MustacheStatement.call(this, mustache);
      // What Handlebars' own MustacheStatement does, with the check between value and output.
      this.SubExpression(mustache);
      const start = mustache.loc?.start;
      this.opcode('requirePresent', mustache.requirePresent, start?.line ?? 1, start?.column ?? 0);
      this.opcode(mustache.escaped && !this.options.noEscape ? 'appendEscaped' : 'append');
    },
  });
  env.JavaScriptCompiler = subclass(env.JavaScriptCompiler, {
    requirePresent(this: CompilerState, name: unknown, line: unknown, column: unknown) {
      this.push([
        PRESENT,
        '(',
        this.popStack(),
        `, ${JSON.stringify(name)}, ${Number(line)}, ${Number(column)})`,
      ]);
    },
  });
}
