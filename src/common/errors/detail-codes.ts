/**
 * The codes of `details[].code` in a 400 VALIDATION_FAILED: one vocabulary, whatever check
 * refused the field (class-validator's own or ours). `checks` are the validator names each
 * stands for; a check not listed here is INVALID_VALUE.
 */
export const VALIDATION_DETAIL_CODES = [
  {
    code: 'REQUIRED',
    meaning: 'The field is missing, or null where it needs a value.',
    checks: ['isDefined', 'isNotEmpty', 'arrayNotEmpty'],
  },
  {
    code: 'UNKNOWN_FIELD',
    meaning: 'The route takes no field of this name; remove it.',
    checks: ['whitelistValidation'],
  },
  {
    code: 'WRONG_TYPE',
    meaning:
      'Not of the type the field takes: text, number, whole number, true/false, object or list.',
    checks: [
      'isString',
      'isNumber',
      'isInt',
      'isBoolean',
      'isObject',
      'isArray',
      'isDate',
      'nestedValidation',
    ],
  },
  {
    code: 'TOO_LONG',
    meaning: 'Longer text, or a longer list, than the field allows.',
    checks: ['maxLength', 'arrayMaxSize'],
  },
  {
    code: 'TOO_SHORT',
    meaning: 'Shorter text, or a shorter list, than the field needs.',
    checks: ['minLength', 'arrayMinSize'],
  },
  { code: 'TOO_LARGE', meaning: 'A number above the most the field allows.', checks: ['max'] },
  {
    code: 'TOO_SMALL',
    meaning: 'A number below the least the field allows.',
    checks: ['min', 'isPositive'],
  },
  {
    code: 'NOT_ALLOWED_VALUE',
    meaning: 'Not one of the values the field takes (the message lists them).',
    checks: ['isIn', 'isEnum'],
  },
  {
    code: 'INVALID_FORMAT',
    meaning:
      'Not in the form the field takes: a pattern, a date, a URL, a locale tag, a time zone, a duration, a JSON object of bounded size (the message says which).',
    checks: [
      'matches',
      'isDateString',
      'isISO8601',
      'isUrl',
      'isUUID',
      'isIp',
      'isLocaleTag',
      'isTimeZoneName',
      'isIsoDurationList',
      'isIsoDuration',
      'isYearAmountMap',
      'isJsonObject',
      'isTemplateBody',
      'isPreviewData',
    ],
  },
  {
    code: 'INVALID_EMAIL_ADDRESS',
    meaning:
      'An address the service cannot send to exactly as written (see the address check); the message says what to change.',
    checks: ['isEmailAddress'],
  },
  {
    code: 'INVALID_CHARACTERS',
    meaning:
      'A line break, NUL or invisible format character in a value that must be one line (it may become a mail header).',
    checks: ['noControlChars'],
  },
  {
    code: 'INVALID_VALUE',
    meaning: 'Any other check of the field; the message says what it needs.',
    checks: [],
  },
] as const;

export type ValidationDetailCode = (typeof VALIDATION_DETAIL_CODES)[number]['code'];

const BY_CHECK = new Map<string, ValidationDetailCode>(
  VALIDATION_DETAIL_CODES.flatMap((row) =>
    (row.checks as readonly string[]).map((check) => [check, row.code] as const),
  ),
);

/**
 * The detail code of a failed check. `isLength` checks both ends: its message says which one
 * failed ("must be shorter than or equal to" when the value is too long).
 */
export function detailCodeOf(check: string, message = ''): ValidationDetailCode {
  if (check === 'isLength') return /shorter than/.test(message) ? 'TOO_LONG' : 'TOO_SHORT';
  return BY_CHECK.get(check) ?? 'INVALID_VALUE';
}
