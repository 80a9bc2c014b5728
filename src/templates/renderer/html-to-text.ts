// The plain-text part for templates that have none: enough structure for a text-only reader
// (paragraphs, line breaks, lists, links as "text (url)"). The HTML is parsed and laid out by the
// html-to-text library; the options below keep the output close to what readers got before.
import { compile, type FormatCallback, type SelectorDefinition } from 'html-to-text';

// The alt text alone: an image's URL means nothing to a text reader. Word transforms apply, so
// an image inside a link counts as the link's label.
const altText: FormatCallback = (elem, _walk, builder) => {
  const alt = (elem.attribs?.alt ?? '').trim();
  if (alt) builder.addInline(alt);
};

// Layout tables are not data: each cell's text follows the previous one after a space, and each
// row starts a line (the library's data-table layout would pad cells into columns).
const tableCell: FormatCallback = (elem, walk, builder) => {
  walk(elem.children, builder);
  builder.addInline(' ');
};

const block = (selector: string, lineBreaks: number): SelectorDefinition => ({
  selector,
  format: 'block',
  options: { leadingLineBreaks: lineBreaks, trailingLineBreaks: lineBreaks },
});

const skip = (selector: string): SelectorDefinition => ({ selector, format: 'skip' });

const HIDDEN = ['[hidden]', '[style*="display:none" i]', '[style*="display: none" i]'];

const LINK_OPTIONS = {
  linkBrackets: ['(', ')'] as [string, string],
  hideLinkHrefIfSameAsText: true,
};

const convert = compile({
  // Mail clients wrap text themselves; hard breaks would split long URLs.
  wordwrap: false,
  // The walk recurses per nesting level: a template nested thousands deep would overflow the
  // stack. Real emails are a few dozen deep; deeper content becomes "...".
  limits: { maxDepth: 500 },
  formatters: { altText, tableCell },
  selectors: [
    // Only web and mail links are worth showing; any other href (javascript:, relative, #) is
    // dropped and its text kept.
    { selector: 'a', format: 'inline' },
    { selector: 'a[href^="http:" i]', format: 'anchor', options: LINK_OPTIONS },
    { selector: 'a[href^="https:" i]', format: 'anchor', options: LINK_OPTIONS },
    { selector: 'a[href^="mailto:" i]', format: 'anchor', options: LINK_OPTIONS },
    { selector: 'img', format: 'altText' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
      selector,
      format: 'heading',
      options: { leadingLineBreaks: 2, trailingLineBreaks: 2, uppercase: false },
    })),
    { selector: 'hr', format: 'horizontalLine', options: { length: 3 } },
    { selector: 'ul', format: 'unorderedList', options: { itemPrefix: '- ' } },
    block('table', 2),
    block('tr', 1),
    { selector: 'td', format: 'tableCell' },
    { selector: 'th', format: 'tableCell' },
    block('center', 1),
    block('dl', 1),
    block('dt', 1),
    block('dd', 1),
    // Never shown to a reader of the HTML either. Hidden links are listed again because the link
    // selectors above are more specific than a bare attribute selector.
    ...['head', 'title', 'style', 'script', 'noscript', 'template'].map(skip),
    ...HIDDEN.flatMap((hidden) => [skip(hidden), skip(`a${hidden}`)]),
  ],
});

export function htmlToText(html: string): string {
  return (
    convert(html)
      // Spacer blocks (`<div>&nbsp;</div>`, runs of <br>) leave blank lines: keep at most one.
      .replace(/^[ \t\u00a0]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      // Newlines only: an ordered list's first item starts with a space, like the others.
      .replace(/^\n+|\n+$/g, '')
  );
}
