import { registerDecorator, ValidationOptions } from 'class-validator';
import { isIsoDuration } from '../time/iso-duration';

function simple(
  name: string,
  test: (value: unknown) => boolean,
  message: string,
  options?: ValidationOptions,
) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}

/** CR, LF and NUL would let a value that becomes a mail header add headers of its own. */
export const NoControlChars = (options?: ValidationOptions) =>
  simple(
    'noControlChars',
    (v) => typeof v !== 'string' || !/[\r\n\0]/.test(v),
    '$property must not contain line breaks or NUL characters',
    options,
  );

export function isTimeZone(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const IsTimeZoneName = (options?: ValidationOptions) =>
  simple(
    'isTimeZoneName',
    isTimeZone,
    '$property must be an IANA time zone such as "UTC" or "America/New_York"',
    options,
  );

const LOCALE = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|\d{3}))?$/;
export const IsLocaleTag = (options?: ValidationOptions) =>
  simple(
    'isLocaleTag',
    (v) => typeof v === 'string' && LOCALE.test(v),
    '$property must be a locale tag such as "en", "es" or "pt-BR"',
    options,
  );

export const IsIsoDurationList = (options?: ValidationOptions) =>
  simple(
    'isIsoDurationList',
    (v) => Array.isArray(v) && v.length > 0 && v.length <= 20 && v.every(isIsoDuration),
    '$property must be a list of 1 to 20 ISO-8601 durations in weeks, days, hours, minutes or seconds, such as "P3D" or "PT12H"',
    options,
  );

export const IsYearAmountMap = (options?: ValidationOptions) =>
  simple(
    'isYearAmountMap',
    (v) =>
      !!v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.entries(v as Record<string, unknown>).every(
        ([k, n]) =>
          /^(19|20|21)\d\d$/.test(k) && typeof n === 'number' && Number.isFinite(n) && n >= 0,
      ),
    '$property must map four-digit years to amounts of 0 or more, such as {"2026": 2000}',
    options,
  );

/** A JSON object of bounded size, for free-form data such as custom fields. */
export const IsJsonObject = (maxBytes = 16384, options?: ValidationOptions) =>
  simple(
    'isJsonObject',
    (v) =>
      !!v && typeof v === 'object' && !Array.isArray(v) && JSON.stringify(v).length <= maxBytes,
    `$property must be a JSON object of at most ${maxBytes} bytes`,
    options,
  );
