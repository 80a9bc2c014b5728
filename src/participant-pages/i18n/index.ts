import { en, type MessageKey } from './en';
import { es } from './es';
import { ptBR } from './pt-BR';

export type { MessageKey } from './en';

export const PAGE_LANGS = ['en', 'es', 'pt-BR'] as const;
export type PageLang = (typeof PAGE_LANGS)[number];

const DICTIONARIES: Record<PageLang, Record<MessageKey, string>> = { en, es, 'pt-BR': ptBR };

/** The page language for a locale tag (`es-MX` → es, `pt-PT` → pt-BR), or undefined when we have none. */
export function pageLangOf(locale: string | null | undefined): PageLang | undefined {
  const primary = (locale ?? '').trim().replace(/_/g, '-').split('-')[0].toLowerCase();
  if (primary === 'en') return 'en';
  if (primary === 'es') return 'es';
  if (primary === 'pt') return 'pt-BR';
  return undefined;
}

/** The best-weighted language of an Accept-Language header that we speak, if any. */
export function acceptedLang(header: string | undefined): PageLang | undefined {
  const ranked = (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const lang = pageLangOf(tag);
    if (lang) return lang;
  }
  return undefined;
}

/**
 * The language of a participant page: the participant's own locale, else what the browser
 * asks for, else the program's default, else English.
 */
export function choosePageLang(
  participantLocale: string | null | undefined,
  acceptLanguage: string | undefined,
  programLocale: string | null | undefined,
): PageLang {
  return (
    pageLangOf(participantLocale) ??
    acceptedLang(acceptLanguage) ??
    pageLangOf(programLocale) ??
    'en'
  );
}

/** A message with `{name}` placeholders filled in; an unknown key falls back to English, then to itself. */
export function translate(
  lang: PageLang,
  key: string,
  params: Record<string, unknown> = {},
): string {
  const dict = DICTIONARIES[lang] as Record<string, string>;
  const template = dict[key] ?? (en as Record<string, string>)[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}
