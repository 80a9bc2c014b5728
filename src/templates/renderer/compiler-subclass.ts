import type Handlebars from 'handlebars';

/** One of Handlebars' compiler classes, as its environment holds it (not in its typings). */
export interface CompilerClass {
  new (): object;
  prototype: Record<string, unknown> & { compiler: unknown };
}

/** Handlebars' two compilers, which an environment lets be replaced by subclasses. */
export function compilersOf(hb: typeof Handlebars): {
  Compiler: CompilerClass;
  JavaScriptCompiler: CompilerClass;
} {
  return hb as unknown as { Compiler: CompilerClass; JavaScriptCompiler: CompilerClass };
}

/** A subclass of one of Handlebars' compilers whose children (blocks) are compiled by it too. */
export function subclass(Base: CompilerClass, methods: Record<string, unknown>): CompilerClass {
  function Sub(this: object) {
    (Base as unknown as (this: object) => void).call(this);
  }
  Sub.prototype = Object.assign(Object.create(Base.prototype) as object, methods, {
    compiler: Sub,
  });
  return Sub as unknown as CompilerClass;
}
