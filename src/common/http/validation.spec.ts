import type { ValidationError } from '@nestjs/common';
import { VALIDATION_DETAIL_CODES, detailCodeOf } from '../errors/detail-codes';
import { validationFailed } from './validation';

const failure = (
  property: string,
  value: unknown,
  constraints: Record<string, string>,
): ValidationError => ({ property, value, constraints, children: [] });

describe(validationFailed.name, () => {
  it('names a missing field REQUIRED, "is required", whatever check failed first', () => {
    const error = validationFailed([
      failure('email', undefined, {
        maxLength: 'email must be shorter than or equal to 320 characters',
      }),
    ]);
    expect(error.getResponse()).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'The request has invalid fields: email.',
      details: [{ field: 'email', code: 'REQUIRED', message: 'email is required.' }],
    });
  });

  it.each([
    ['whitelistValidation', 'x', 'UNKNOWN_FIELD'],
    ['isString', 5, 'WRONG_TYPE'],
    ['maxLength', 'xxxx', 'TOO_LONG'],
    ['isIn', 'z', 'NOT_ALLOWED_VALUE'],
    ['isEmailAddress', 'a@', 'INVALID_EMAIL_ADDRESS'],
    ['noControlChars', 'a\nb', 'INVALID_CHARACTERS'],
    ['isTimeZoneName', 'Mars/Base', 'INVALID_FORMAT'],
    ['someCheckOfOurOwn', 1, 'INVALID_VALUE'],
  ])('gives %s the code %s', (check, value, code) => {
    const error = validationFailed([failure('f', value, { [check]: 'f is wrong' })]);
    expect((error.getResponse() as { details: { code: string }[] }).details[0].code).toBe(code);
  });

  it('never echoes the value', () => {
    const error = validationFailed([failure('password', 'hunter2', { maxLength: 'too long' })]);
    expect(JSON.stringify(error.getResponse())).not.toContain('hunter2');
  });

  it('tells a too long isLength from a too short one by its message', () => {
    expect(detailCodeOf('isLength', 'name must be shorter than or equal to 200 characters')).toBe(
      'TOO_LONG',
    );
    expect(detailCodeOf('isLength', 'name must be longer than or equal to 1 characters')).toBe(
      'TOO_SHORT',
    );
  });

  it('keeps the vocabulary in SCREAMING_SNAKE, each code once', () => {
    const codes = VALIDATION_DETAIL_CODES.map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});
