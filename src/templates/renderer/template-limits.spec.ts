import Handlebars from 'handlebars';
import { DefaultTemplateStore } from './default-template-store';
import {
  astLimitProblems,
  scanTemplate,
  TEMPLATE_LIMITS,
  type TemplateLimitProblem,
} from './template-limits';
import { hostile } from '../../../test/support/hostile-templates';
import { validateTemplate } from './template-validator';

const limitsOf = (problems: readonly TemplateLimitProblem[]) =>
  problems.map(({ limit, count, max, line, column }) => ({ limit, count, max, line, column }));

/** Validates and says how long it took, for the test output (not asserted: machines differ). */
function timed<T>(what: string, run: () => T): T {
  const started = performance.now();
  const result = run();
  process.stdout.write(`${what}: refused in ${(performance.now() - started).toFixed(1)} ms\n`);
  return result;
}

describe('template limits', () => {
  it('allows at most 200 KB of HTML, of text, and 2 KB of subject per part', () => {
    expect(TEMPLATE_LIMITS.bytes).toEqual({ subject: 2048, html: 204_800, text: 204_800 });
  });

  describe("the audit's hostile templates are refused before they are parsed", () => {
    it('a 200 KB template of 12,780 mustaches: the mustaches limit, with the count and where the 1,001st is', () => {
      const html = hostile.mustaches();
      expect(Buffer.byteLength(html)).toBe(204_480);
      const problems = timed('12,780 mustaches', () =>
        validateTemplate('generic', { subject: 'Hi', html }),
      );
      expect(limitsOf(problems as TemplateLimitProblem[])).toEqual([
        { limit: 'mustaches', count: 12_780, max: 1_000, line: 1, column: 16_001 },
      ]);
      expect(problems[0]).toMatchObject({ part: 'html' });
      expect(problems[0].message).toBe(
        'The html part has 12,780 {{…}} expressions, blocks and partials; at most 1,000 are allowed (limit "mustaches"). This is the first one over; use fewer.',
      );
    });

    it('a chain of 5,000 {{else if}}: the chain, the nesting it makes and the mustaches, each where first crossed', () => {
      const problems = timed('5,000 else if', () =>
        validateTemplate('generic', { subject: 'Hi', html: hostile.elseChain() }),
      );
      // The n-th {{else if}} is on line n + 1; the parser nests each one in the block before.
      expect(limitsOf(problems as TemplateLimitProblem[])).toEqual([
        { limit: 'elseChain', count: 5_000, max: 30, line: 32, column: 1 },
        { limit: 'blockDepth', count: 5_001, max: 50, line: 51, column: 1 },
        { limit: 'mustaches', count: 5_001, max: 1_000, line: 1_001, column: 1 },
      ]);
      expect(problems[0].message).toBe(
        'An {{else if}} chain of 5,000 branches; at most 30 are allowed (limit "elseChain"). This is the first one over; use fewer branches or {{lookup}}.',
      );
      expect(problems[1].message).toMatch(
        /^Blocks are nested 5,001 deep \(each \{\{else if\}\} counts as one level\)/,
      );
    });

    it('5,000 nested sub-expressions: the sub-expression limit at the 11th "(" (no stack overflow)', () => {
      const problems = timed('5,000 sub-expressions', () =>
        validateTemplate('generic', { subject: 'Hi', html: hostile.subexpressions() }),
      );
      expect(limitsOf(problems as TemplateLimitProblem[])).toEqual([
        { limit: 'subexpressionDepth', count: 5_000, max: 10, line: 1, column: 46 },
      ]);
    });
  });

  describe('the scan counts what the parser builds', () => {
    // Small enough to parse, each just over one limit: the scan of the source and the walk of
    // the parsed tree must find the same limit, count and place.
    const cases: [string, string][] = [
      ['1,001 expressions', '<p>{{event.type}}</p>\n'.repeat(1_001)],
      [
        '31 {{else if}}',
        `{{#if event.type}}a${Array.from({ length: 31 }, (_, i) => `\n{{else if event.type}}${i}`).join('')}{{else}}z{{/if}}`,
      ],
      ['51 nested blocks', `${'{{#if event.type}}\n'.repeat(51)}x${'{{/if}}'.repeat(51)}`],
      [
        'blocks and {{else if}} mixed',
        `${'{{#each event.details}}{{#if name}}a{{else if value}}\n'.repeat(17)}x${'{{/if}}{{/each}}'.repeat(17)}`,
      ],
      [
        'inverse blocks, with {{else}} and {{^}}',
        `${'{{^if event.type}}a{{else}}\n'.repeat(26)}${'{{#if event.type}}{{^}}\n'.repeat(25)}x${'{{/if}}'.repeat(51)}`,
      ],
      ['11 nested sub-expressions', `{{eq ${'(eq '.repeat(11)}event.type${' 1)'.repeat(11)} 1}}`],
      [
        'sub-expressions in a hash and a block',
        `{{#if (eq ${'(eq '.repeat(10)}event.type${' 1)'.repeat(10)} 1)}}x{{/if}} {{link "https://x.example" style=(eq 1 1)}}`,
      ],
    ];
    it.each(cases)('%s', (_what, source) => {
      const scanned = scanTemplate('html', source).problems;
      expect(scanned.length).toBeGreaterThan(0);
      const parsed = astLimitProblems('html', source, Handlebars.parse(source));
      expect(limitsOf(parsed)).toEqual(limitsOf(scanned));
    });

    it.each([
      ['comments', '{{!-- {{a}} {{#if}} ( ( --}}{{! {{b}} }}{{event.type}}', 1],
      ['an escaped mustache', '\\{{not.one}} {{event.type}} \\\\{{event.type}}', 2],
      ['strings and [segments] with braces', '{{lookup event "}} ((" }} {{[a}}b]}}', 2],
      ['else without a chain', '{{#if a}}x{{else}}y{{/if}}{{#if b}}{{^}}{{/if}}', 2],
      ['a raw block', '{{{{raw}}}} {{x}} {{{{/raw}}}} {{y}}', 2],
    ])('counts only real tags: %s', (_what, source, count) => {
      const tags = scanTemplate('html', source).tags.filter((t) => t.kind !== 'comment');
      expect(tags.filter((t) => t.kind !== 'else' && t.kind !== 'close')).toHaveLength(count);
    });

    it('walks a tree of any depth without recursion', () => {
      // Built by hand: the parser itself would take minutes for this.
      let program: hbs.AST.Program = { type: 'Program', body: [], blockParams: [], loc: LOC };
      for (let i = 0; i < 200_000; i++) {
        const block = {
          type: 'BlockStatement',
          path: {
            type: 'PathExpression',
            original: 'if',
            parts: ['if'],
            data: false,
            depth: 0,
            loc: LOC,
          },
          params: [],
          hash: { type: 'Hash', pairs: [], loc: LOC },
          program,
          loc: LOC,
        } as unknown as hbs.AST.BlockStatement;
        program = { type: 'Program', body: [block], blockParams: [], loc: LOC };
      }
      expect(limitsOf(astLimitProblems('html', '', program))).toEqual([
        { limit: 'blockDepth', count: 200_000, max: 50, line: 1, column: 1 },
        { limit: 'mustaches', count: 200_000, max: 1_000, line: 1, column: 1 },
      ]);
    });
  });

  describe('sizes', () => {
    it('says where a part goes over its bytes, counted in UTF-8', () => {
      const html = `${'a'.repeat(100)}\n${'é'.repeat(102_400)}`;
      const [problem] = scanTemplate('html', html).problems;
      // 101 bytes on line 1, then two bytes a character: the 102,350th é is the first one over.
      expect(problem).toMatchObject({
        limit: 'bytes',
        count: 204_901,
        max: 204_800,
        line: 2,
        column: 102_350,
      });
      expect(scanTemplate('subject', 'ü'.repeat(1_025)).problems[0]).toMatchObject({
        limit: 'bytes',
        count: 2_050,
        max: 2_048,
      });
    });
  });

  it('leaves every default template within the limits, with the same counts either way', () => {
    const store = new DefaultTemplateStore();
    for (const key of store.keys()) {
      for (const locale of store.locales(key)) {
        const parts = store.get(key, locale)!;
        for (const part of ['subject', 'html', 'text'] as const) {
          const source = parts[part];
          if (typeof source !== 'string') continue;
          expect(scanTemplate(part, source).problems).toEqual([]);
          expect(astLimitProblems(part, source, Handlebars.parse(source))).toEqual([]);
        }
      }
    }
  });
});

const LOC = { source: '', start: { line: 1, column: 0 }, end: { line: 1, column: 0 } };
