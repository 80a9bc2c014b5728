// What the server-rendered pages (the console, the participant pages) share of their languages;
// each keeps its own dictionaries and decides which of its languages a tag means.

/** The language tags of an Accept-Language header, lowercased, best-weighted first (q=0 left out). */
export function acceptedTags(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((r) => r.tag);
}

/**
 * The message `key` of `dictionary` with its `{name}` placeholders filled in from `params`; a key
 * the dictionary lacks is taken from `english`, and one neither has is shown as itself.
 */
export function fillMessage(
  dictionary: Readonly<Record<string, string>>,
  english: Readonly<Record<string, string>>,
  key: string,
  params: Record<string, unknown>,
): string {
  const template = dictionary[key] ?? english[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
