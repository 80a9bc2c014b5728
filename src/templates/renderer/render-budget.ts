import type Handlebars from 'handlebars';
import { compilersOf, subclass } from './compiler-subclass';

/** The longest a rendered part may be, and what all {{#each}} items of one render may produce together. */
export const MAX_RENDERED_CHARS = 2_000_000;

/** A render that asked for more than it may: output, time or memory. */
export type RenderLimit = 'output' | 'time' | 'memory' | 'template';

/** Thrown while rendering as soon as a budget runs out; the renderer names the part. */
export class RenderLimitError extends Error {
  override readonly name = 'RenderLimitError';

  constructor(
    message: string,
    readonly limit: RenderLimit = 'output',
    /** A block helper already said which list ran out: the ones around it keep its words. */
    readonly attributed = false,
  ) {
    super(message);
  }
}

const fmt = (n: number): string => n.toLocaleString('en');

/**
 * What one render may still produce. In a counted render (a program's template) every piece of
 * output is charged as it is appended, and each block and {{#each}} item one unit more, so the
 * render stops the moment it goes over rather than after building the whole result. The
 * trusted defaults are not counted piece by piece: only their {{#each}} items are, by size.
 */
export class RenderBudget {
  left: number;

  constructor(
    readonly counted: boolean,
    readonly max: number = MAX_RENDERED_CHARS,
  ) {
    this.left = max;
  }

  /** Called by the compiled code of a counted template with each piece it appends. */
  charge(value: unknown): string {
    // The same conversion as `buffer += value` in Handlebars' own code.
    const text = typeof value === 'string' ? value : '' + (value as string);
    this.left -= text.length;
    if (this.left < 0) throw this.exhausted();
    return text;
  }

  /** One block call or list item: empty loops cost something too. */
  spend(units: number): void {
    this.left -= units;
    if (this.left < 0) throw this.exhausted();
  }

  exhausted(): RenderLimitError {
    return new RenderLimitError(
      `the email would be longer than ${fmt(this.max)} characters; use long values fewer times`,
    );
  }
}

export function eachExhausted(max: number): RenderLimitError {
  return new RenderLimitError(
    `each: the lists produce more than ${fmt(max)} items and characters; show fewer items`,
    'output',
    true,
  );
}

// What the compiled code calls: every function it makes takes the render's data frame as `data`.
const CHARGE = 'data.budget.charge';

type Method = (this: CompilerState, ...args: unknown[]) => unknown;

interface CompilerState {
  opcodes: { opcode: string }[];
  composed?: boolean;
  pushSource(source: unknown): void;
}

/**
 * Makes `hb` compile templates that charge every piece of output to the render's budget as it
 * is appended: text, values and helper results. What a block or a partial returns is made of
 * pieces its own code (compiled here too) charged already, so it is appended as it is.
 */
export function useCountingCompiler(hb: typeof Handlebars): void {
  const env = compilersOf(hb);
  const compiler = env.Compiler.prototype as Record<string, Method>;
  const composed = (name: string): Method =>
    function (this: CompilerState, ...args: unknown[]) {
      compiler[name].apply(this, args);
      const last = this.opcodes[this.opcodes.length - 1];
      if (last?.opcode === 'append') last.opcode = 'appendComposed';
    };
  env.Compiler = subclass(env.Compiler, {
    BlockStatement: composed('BlockStatement'),
    PartialStatement: composed('PartialStatement'),
  });

  const js = env.JavaScriptCompiler.prototype as Record<string, Method>;
  env.JavaScriptCompiler = subclass(env.JavaScriptCompiler, {
    appendToBuffer(this: CompilerState, source: unknown, ...rest: unknown[]) {
      return js.appendToBuffer.call(
        this,
        this.composed ? source : [CHARGE, '(', source, ')'],
        ...rest,
      );
    },
    appendComposed(this: CompilerState) {
      // Text written before the block is charged as text; then the block's result as it is.
      this.pushSource('');
      this.composed = true;
      try {
        js.append.call(this);
      } finally {
        this.composed = false;
      }
    },
  });
}
