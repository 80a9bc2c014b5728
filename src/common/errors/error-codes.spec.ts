import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './error-codes';

// The generator is a plain script (scripts/error-codes.js): the README's table is written by it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../../scripts/error-codes.js') as {
  collectCodes(): Map<string, { statuses: Set<number>; files: Set<string> }>;
  problems(
    catalog: Readonly<Record<string, string>>,
    collected: Map<string, unknown>,
    readme: string,
  ): string[];
};

describe('error codes', () => {
  const collected = generator.collectCodes();
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

  it('finds the codes thrown in src/, with the status of each where the code fixes it', () => {
    expect(collected.get('VALIDATION_FAILED')?.statuses).toEqual(new Set([400]));
    expect(collected.get('PUBLISHABLE_KEY_NOT_ALLOWED')?.statuses).toEqual(new Set([403]));
    expect(collected.has('SMTP_AUTH_FAILED')).toBe(true);
    expect(collected.has('TEMPLATE_DATA_MISSING')).toBe(true);
    expect(collected.has('REQUIRED')).toBe(true);
    // Node's own codes are read from errors, never answered.
    expect(collected.has('ETIMEDOUT')).toBe(false);
  });

  it('documents every code thrown, documents none that is not, and the README table is current', () => {
    expect(generator.problems(ERROR_CODES, collected, readme)).toEqual([]);
  });

  it('tells what is wrong when a code is missing or stale', () => {
    const { SMTP_AUTH_FAILED: _gone, ...fewer } = ERROR_CODES;
    const found = generator.problems({ ...fewer, NEVER_THROWN: 'x' }, collected, readme);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^SMTP_AUTH_FAILED \(src\/.*\) is not in src\/common\/errors\/error-codes\.ts$/,
        ),
        'NEVER_THROWN is documented but nothing in src/ answers with it any more',
        'the table in README.md is out of date: run node scripts/error-codes.js',
      ]),
    );
  });
});
