import { acceptedTags, fillMessage } from '../../common/i18n/messages';
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
  for (const tag of acceptedTags(header)) {
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
  return fillMessage(DICTIONARIES[lang], en, key, params);
}

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}
