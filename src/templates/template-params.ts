import { Injectable, PipeTransform } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { normalizeLocale } from './renderer';

/** System keys and a program's own keys alike. */
export const TEMPLATE_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;

// The shape participant and program locales are validated with, so every stored override can
// be reached by some reader's locale chain.
const LOCALE_SHAPE = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|\d{3}))?$/;

/** `:key` of a template route. */
@Injectable()
export class TemplateKeyPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !TEMPLATE_KEY.test(value)) {
      throw AppError.badRequest(
        'TEMPLATE_KEY_INVALID',
        `"${String(value).slice(0, 70)}" is not a valid template key: use 1 to 64 lower-case letters, digits or "-", starting with a letter or digit (e.g. "spring-promo").`,
      );
    }
    return value;
  }
}

/** `:locale` of a template route, in canonical case: `pt-br` and `pt_BR` become `pt-BR`. */
@Injectable()
export class TemplateLocalePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const locale = normalizeLocale(value);
    if (!locale || !LOCALE_SHAPE.test(locale)) {
      throw AppError.badRequest(
        'LOCALE_INVALID',
        `"${String(value).slice(0, 40)}" is not a supported locale tag: use a BCP 47 tag of a language with an optional script and region, such as "en", "es", "pt-BR" or "es-419".`,
      );
    }
    return locale;
  }
}
