export const FALLBACK_LOCALE = 'en';

// A language with no template of its own in a region falls back to the one we ship: a reader in
// Portugal is better served by Brazilian Portuguese than by English.
const SHIPPED_VARIANT: Readonly<Record<string, string>> = { pt: 'pt-BR' };

/** A BCP 47 tag in canonical case (`pt_br` → `pt-BR`), or null when it is not a valid tag. */
export function normalizeLocale(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const tag = value.trim().replace(/_/g, '-');
  if (!tag) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

function languageOf(locale: string): string {
  return locale.split('-')[0];
}

/** The locale itself, then its language alone, then the variant we ship for that language. */
function expand(locale: string): string[] {
  const language = languageOf(locale);
  const out = [locale];
  if (language !== locale) out.push(language);
  const shipped = SHIPPED_VARIANT[language];
  if (shipped) out.push(shipped);
  return out;
}

/**
 * Locales to try, best first: each given locale (participant's, then the program default)
 * with its fallbacks, then `en`. Invalid tags are skipped and every locale appears once.
 */
export function resolveLocaleChain(...preferred: (string | null | undefined)[]): string[] {
  const chain: string[] = [];
  for (const value of [...preferred, FALLBACK_LOCALE]) {
    const locale = normalizeLocale(value);
    if (!locale) continue;
    for (const candidate of expand(locale)) if (!chain.includes(candidate)) chain.push(candidate);
  }
  return chain;
}

/**
 * The locale numbers and dates are formatted in: the reader's own locale when the template is
 * in their language (`es-MX` reader, `es` template → Mexican formats), else the template's.
 */
export function formattingLocale(templateLocale: string, chain: readonly string[]): string {
  const first = chain[0];
  return first && languageOf(first) === languageOf(templateLocale) && first.includes('-')
    ? first
    : templateLocale;
}
