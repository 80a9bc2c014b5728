import {
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidationArguments,
  ValidationOptions,
} from 'class-validator';
import { AppError } from '../errors/app-error';
import { isWholeCents } from '../money/cents';
import { emailAddressProblem } from './email-address';
import { isIsoDuration } from '../time/iso-duration';

/** A validation decorator from a test of the value alone and the message for when it fails. */
export function defineValidator(
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

export type FieldDecorator = (object: object, propertyName: string) => void;

// Applied as if written one above the other, the lowest first: that order decides which check a
// validation error names first (its code).
export function stacked(...decorators: FieldDecorator[]): FieldDecorator {
  return (object, propertyName) => {
    for (const decorator of [...decorators].reverse()) decorator(object, propertyName);
  };
}

// Line breaks in every form a reader may honour (CR, LF, VT, FF, NEL, LS, PS), NUL, and the
// invisible format characters (Unicode Cf: soft hyphen, zero-width space, bidi controls, BOM).
// The zero-width joiner and non-joiner stay allowed: Persian, Indic scripts and emoji need them.
const LINE_BREAK_OR_HIDDEN = /[\r\n\v\f\0\u0085\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/u;

/** True when `value` holds no line break, NUL or invisible format character. */
export function hasNoControlChars(value: string): boolean {
  return !LINE_BREAK_OR_HIDDEN.test(value);
}

/** A line break or NUL would let a value that becomes a mail header add headers of its own. */
export const NoControlChars = (options?: ValidationOptions) =>
  defineValidator(
    'noControlChars',
    (v) => typeof v !== 'string' || hasNoControlChars(v),
    '$property must not contain line breaks, NUL or invisible format characters (such as U+00AD or U+200B)',
    options,
  );

/** One line of 1 to `maxLength` characters: nothing that could add a mail header. */
export const IsSingleLine = (maxLength: number) =>
  stacked(IsString(), Length(1, maxLength), NoControlChars());

/**
 * An email address the service can send to exactly as written (see `emailAddressProblem`): the
 * one check of every address that enters, whatever the route. The message says what is wrong.
 */
export const IsEmailAddress =
  (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isEmailAddress',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => emailAddressProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? propertyName} ${emailAddressProblem(args?.value) ?? 'must be an email address'}`,
      },
    });

export const IsPort = () => stacked(IsInt(), Min(1), Max(65535));

/**
 * In a PATCH, null clears a field; the `required` fields always have a value, so a null there is
 * refused as a validation failure.
 */
export function refuseNulls<T extends object>(
  values: T,
  required: ReadonlyArray<keyof T & string>,
): void {
  const nulls = required.filter((field) => values[field] === null);
  if (nulls.length === 0) return;
  throw AppError.badRequest(
    'VALIDATION_FAILED',
    `The request has invalid fields: ${nulls.join(', ')}.`,
    nulls.map((field) => ({
      field,
      code: 'REQUIRED',
      message: `${field} cannot be null; leave it out to keep the current value.`,
    })),
  );
}

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
  defineValidator(
    'isTimeZoneName',
    isTimeZone,
    '$property must be an IANA time zone such as "UTC" or "America/New_York"',
    options,
  );

const LOCALE = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|\d{3}))?$/;
export const IsLocaleTag = (options?: ValidationOptions) =>
  defineValidator(
    'isLocaleTag',
    (v) => typeof v === 'string' && LOCALE.test(v),
    '$property must be a locale tag such as "en", "es" or "pt-BR"',
    options,
  );

export const IsIsoDurationList = (options?: ValidationOptions) =>
  defineValidator(
    'isIsoDurationList',
    (v) => Array.isArray(v) && v.length > 0 && v.length <= 20 && v.every(isIsoDuration),
    '$property must be a list of 1 to 20 ISO-8601 durations in weeks, days, hours, minutes or seconds, such as "P3D" or "PT12H"',
    options,
  );

export const IsYearAmountMap = (options?: ValidationOptions) =>
  defineValidator(
    'isYearAmountMap',
    (v) =>
      !!v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.entries(v as Record<string, unknown>).every(
        ([k, n]) =>
          /^(19|20|21)\d\d$/.test(k) && typeof n === 'number' && n >= 0 && isWholeCents(n),
      ),
    '$property must map four-digit years to USD amounts of 0 or more in whole cents (at most 2 decimals), such as {"2026": 2000}',
    options,
  );

/** A JSON object of bounded size, for free-form data such as custom fields. */
export const IsJsonObject = (maxBytes = 16384, options?: ValidationOptions) =>
  defineValidator(
    'isJsonObject',
    (v) =>
      !!v && typeof v === 'object' && !Array.isArray(v) && JSON.stringify(v).length <= maxBytes,
    `$property must be a JSON object of at most ${maxBytes} bytes`,
    options,
  );
