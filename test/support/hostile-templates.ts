// The templates of the audit that kept the service busy for seconds (or blew its stack) before
// templates had limits, made here rather than stored: each is a few lines to build.
export const hostile = {
  /** 200 KB of HTML: 12,780 expressions of one value (60 KB of data made it 767 MB of output). */
  mustaches: (): string => '{{event.data.b}}'.repeat(12_780),
  /** One {{#if}} with 5,000 {{else if}}, one per line. */
  elseChain: (): string =>
    '{{#if event.type}}\n' +
    Array.from({ length: 5_000 }, (_, i) => `{{else if event.type}}${i + 1}\n`).join('') +
    '{{/if}}',
  /** `{{eq (eq (eq … event.type 1) 1) 1}}`, 5,000 sub-expressions deep. */
  subexpressions: (): string => `{{eq ${'(eq '.repeat(5_000)}event.type${' 1)'.repeat(5_000)} 1}}`,
};
