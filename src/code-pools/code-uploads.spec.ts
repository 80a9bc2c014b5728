import { AppError } from '../common/errors/app-error';
import { MAX_CODES_PER_UPLOAD, readUpload } from './code-uploads';

function codeOf(body: unknown): string {
  try {
    readUpload(body);
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('the upload was accepted');
}

describe(readUpload.name, () => {
  it.each([
    ['a JSON list', { codes: ['A', 'B'] }, ['A', 'B'], 2],
    ['a JSON list with repeats, trimmed', { codes: ['A', ' A ', 'B', 'B'] }, ['A', 'B'], 4],
    ['CSV with a header row', 'code\nA\nB\n', ['A', 'B'], 2],
    ['CSV without a header, blank lines and repeats', 'A\n\nB\nA\n', ['A', 'B'], 3],
    ['CSV taking the first column, quoted', 'code,note\n"A,1",x\nB,y', ['A,1', 'B'], 2],
    ['CSV with a byte order mark', '\uFEFFcode\r\nA\r\n', ['A'], 1],
  ])('reads %s', (_name, body, codes, received) => {
    expect(readUpload(body)).toEqual({ codes, received });
  });

  it.each([
    ['an empty list', { codes: [] }, 'CODES_MISSING'],
    ['a header alone', 'code\n', 'CODES_MISSING'],
    ['a bare array', ['A'], 'CODES_MISSING'],
    ['another field beside codes', { codes: ['A'], pool: 'x' }, 'CODES_MISSING'],
    ['a number', { codes: ['A', 7] }, 'CODE_INVALID'],
    ['a blank code', { codes: ['A', '  '] }, 'CODE_INVALID'],
    ['a code of 201 characters', { codes: ['x'.repeat(201)] }, 'CODE_INVALID'],
    ['a control character', { codes: ['A\u0000B'] }, 'CODE_INVALID'],
    ['an unclosed quote', 'code\n"A\n', 'CSV_INVALID'],
    [
      'one code too many',
      { codes: Array.from({ length: MAX_CODES_PER_UPLOAD + 1 }, (_, i) => `C${i}`) },
      'TOO_MANY_CODES',
    ],
  ])('refuses %s', (_name, body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it('names the position of the first invalid code', () => {
    expect(() => readUpload({ codes: ['A', 'B', ''] })).toThrow(/Code number 3/);
  });
});
