import { acceptedTags, fillMessage } from '../../common/i18n/messages';
import { en, type MessageKey } from './en';
import { es } from './es';
import { ptBR } from './pt-BR';

export type { MessageKey } from './en';

export const LANGUAGES = ['en', 'es', 'pt-BR'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Each language's name in itself, for the switcher. */
export const LANGUAGE_NAMES: Record<Lang, string> = {
  en: 'English',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
};

const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { en, es, 'pt-BR': ptBR };

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The console language for an Accept-Language header: the best-weighted one we speak, else English. */
export function negotiateLang(header: string | undefined): Lang {
  for (const tag of acceptedTags(header)) {
    const primary = tag.split('-')[0];
    if (primary === 'pt') return 'pt-BR';
    if (primary === 'es') return 'es';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/** A message with `{name}` placeholders filled in; unknown keys fall back to English, then to the key. */
export function translate(lang: Lang, key: string, params: Record<string, unknown> = {}): string {
  return fillMessage(DICTIONARIES[lang], en, key, params);
}

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}
