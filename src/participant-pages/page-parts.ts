import { effectiveSettings, type Program } from '../programs/program.entity';
import { acceptedLang, choosePageLang, translate, type MessageKey, type PageLang } from './i18n';
import type { Page, PageProgram } from './participant-page-views';

/** What the page shows of the program: its name, and the built-in branding unless turned off. */
export function pageProgram(program: Pick<Program, 'name' | 'settings'>): PageProgram {
  return { name: program.name, branding: effectiveSettings(program).branding !== false };
}

export function langFor(
  program: Pick<Program, 'defaultLocale'> | null,
  participant: { locale: string | null } | null,
  acceptLanguage: string | undefined,
): PageLang {
  return choosePageLang(participant?.locale, acceptLanguage, program?.defaultLocale);
}

/**
 * An address shown on a page reached by a link that may have been forwarded: enough for its
 * owner to recognise, not the whole address (`ana@example.com` → `a•••@example.com`).
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}

/** A page of one or more paragraphs, with an optional one-button form. */
export function messagePage(options: {
  lang: PageLang;
  title: MessageKey;
  paragraphs: string[];
  program?: PageProgram;
  status?: number;
  tone?: 'ok' | 'problem' | 'info';
  action?: { url: string; token: string; label: string };
  headers?: Record<string, string>;
}): Page {
  return {
    view: 'message',
    lang: options.lang,
    title: options.title,
    program: options.program,
    status: options.status,
    headers: options.headers,
    model: {
      tone: options.tone ?? 'info',
      paragraphs: options.paragraphs,
      action: options.action,
    },
  };
}

/** A link that names nothing we issued: mistyped, cut, or made up. */
export function invalidLinkPage(acceptLanguage: string | undefined): Page {
  const lang = acceptedLang(acceptLanguage) ?? 'en';
  return messagePage({
    lang,
    title: 'invalid.title',
    paragraphs: [translate(lang, 'invalid.body')],
    status: 404,
    tone: 'problem',
  });
}

/** One string value of a query or form field; repeated or non-string values count as missing. */
export function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function formField(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object' || !Object.prototype.hasOwnProperty.call(body, name))
    return undefined;
  return single((body as Record<string, unknown>)[name]);
}
