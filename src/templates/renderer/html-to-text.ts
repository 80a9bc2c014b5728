// The plain-text part for templates that have none: enough structure for a text-only reader
// (paragraphs, line breaks, list items, links as "text (url)"), not a full HTML renderer.

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  euro: '€',
  pound: '£',
  middot: '·',
  bull: '•',
  zwnj: '',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    const named = NAMED_ENTITIES[ref.toLowerCase()];
    return named ?? match;
  });
}

function attribute(attrs: string, name: string): string | null {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : null;
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, '');
}

// A private-use character: never in real content, so it safely delimits placeholders.
const MARK = '\ue000';

const BLOCK_END = /<\/(p|h[1-6]|blockquote|table|ul|ol)\s*>/gi;
const LINE_END = /<\/(div|tr|dd|dt|center)\s*>/gi;

export function htmlToText(html: string): string {
  // Links are replaced by placeholders so that their URLs survive entity decoding untouched.
  const links: string[] = [];
  const keep = (text: string): string => {
    links.push(text);
    return `${MARK}${links.length - 1}${MARK}`;
  };

  let s = html
    .replace(new RegExp(MARK, 'g'), '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title|noscript)\b[\s\S]*?<\/\1\s*>/gi, '')
    // Source line breaks are spaces in HTML; real breaks come from the tags below.
    .replace(/\s+/g, ' ');

  s = s.replace(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi, (_m, attrs: string, inner: string) => {
    const label = decodeEntities(stripTags(inner)).replace(/\s+/g, ' ').trim();
    const href = attribute(attrs, 'href')?.trim() ?? '';
    if (!/^(https?:|mailto:)/i.test(href)) return keep(label);
    const shown = href.replace(/^mailto:/i, '');
    return keep(!label || label === href || label === shown ? shown : `${label} (${shown})`);
  });

  s = s
    .replace(/<img\b([^>]*)>/gi, (_m, attrs: string) => {
      const alt = attribute(attrs, 'alt')?.trim();
      return alt ? keep(alt) : '';
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<hr\b[^>]*>/gi, '\n\n---\n\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(BLOCK_END, '\n\n')
    .replace(LINE_END, '\n')
    .replace(/<\/t[dh]\s*>/gi, ' ');

  s = decodeEntities(stripTags(s)).replace(
    new RegExp(`${MARK}(\\d+)${MARK}`, 'g'),
    (_m, i: string) => links[Number(i)],
  );

  return s
    .split('\n')
    .map((line) =>
      line
        .replace(/[ \t\u00a0]+/g, (ws) => (ws.includes('\u00a0') && ws.length === 1 ? ws : ' '))
        .trim(),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
