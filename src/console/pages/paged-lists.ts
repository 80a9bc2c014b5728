// What the console's filtered, cursor-paged lists (messages, suppressions) share.

/** A list's filters as its query gave them: trimmed, the empty ones left out. */
export function givenFilters(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => v.trim() !== '')
      .map(([k, v]) => [k, v.trim()]),
  );
}

/**
 * The paging links of the list at `path`: to the next page, and back to the first when this is
 * not it. Both keep the filters (but the cursor) and the `extra` parameters.
 */
export function pageLinks(
  path: string,
  filters: Record<string, string>,
  nextCursor: string | null,
  extra: Record<string, string> = {},
): { nextHref: string | null; firstHref: string | null } {
  const keep = new URLSearchParams(Object.entries(filters).filter(([k]) => k !== 'cursor'));
  for (const [name, value] of Object.entries(extra)) keep.set(name, value);
  const withCursor = (cursor: string) => {
    const next = new URLSearchParams(keep);
    next.set('cursor', cursor);
    return `${path}?${next.toString()}`;
  };
  return {
    nextHref: nextCursor ? withCursor(nextCursor) : null,
    firstHref: filters.cursor ? `${path}${keep.size ? `?${keep.toString()}` : ''}` : null,
  };
}
