import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { createTransport } from 'nodemailer';
import { emailAddressProblem, isEmailAddress } from './email-address';
import { hasNoControlChars, IsEmailAddress, NoControlChars } from './validators';

const ACCEPTED: Array<[string, string]> = [
  ['a plain address', 'ana@example.com'],
  ['capitals in the local part', 'Ana.Silva@example.com'],
  ['a subdomain and a hyphen', 'ana@mail.acme-rewards.example.com'],
  ['every atext character', "o'neil+ref{1}~#$%&*/=?^_`|-!x@example.com"],
  ['an IDN already in A-label form', 'ana@xn--bcher-kva.de'],
  ['an A-label top-level domain', 'ana@example.xn--p1ai'],
  ['digits in the domain', 'ana@123.example.com'],
  ['64 characters before the @', `${'a'.repeat(64)}@example.com`],
  [
    'a 255-character domain',
    `a@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(59)}.com`,
  ],
];

const REFUSED: Array<[string, unknown, RegExp]> = [
  ['not a string', 42, /email address such as/],
  ['an empty string', '', /email address such as/],
  ['no @', 'ana.example.com', /email address such as/],
  ['two @', 'ana@b@example.com', /more than one @/],
  ['a quoted local part with a comma', '"a,b"@example.com', /quoted/],
  ['a quoted local part with an @', '"a@b"@example.com', /quoted/],
  ['a quoted local part with a space', '"a b"@example.com', /quoted/],
  ['a quoted segment inside the local part', 'a."b".c@example.com', /before the @/],
  ['a soft hyphen in the domain', 'ceo@exam\u00adple.com', /U\+00AD/],
  ['a soft hyphen in the local part', 'c\u00adeo@example.com', /U\+00AD/],
  ['a zero-width space', 'ana\u200b@example.com', /U\+200B/],
  ['a zero-width joiner', 'ana@exa\u200dmple.com', /U\+200D/],
  ['a right-to-left override', 'ana\u202egpj.exe@example.com', /U\+202E/],
  ['a byte order mark', '\ufeffana@example.com', /U\+FEFF/],
  ['a word joiner', 'ana@example.com\u2060', /U\+2060/],
  ['a tag character', 'ana@example.com\u{e0041}', /U\+E0041/],
  ['a line separator', 'a\u2028b@example.com', /U\+2028/],
  ['a paragraph separator', 'ana@example.com\u2029', /U\+2029/],
  ['a next-line character', 'ana\u0085@example.com', /U\+0085/],
  ['a CR LF header injection', 'ana@example.com\r\nBcc: x@evil.test', /U\+000D/],
  ['a NUL', 'ana\u0000@example.com', /U\+0000/],
  ['a tab', 'ana\t@example.com', /U\+0009/],
  ['an escape', 'ana\u001b@example.com', /U\+001B/],
  ['DEL', 'ana\u007f@example.com', /U\+007F/],
  ['a space', 'ana silva@example.com', /spaces/],
  ['a no-break space', 'ana\u00a0@example.com', /spaces/],
  ['an accented local part', 'josé@example.com', /ASCII.*U\+00E9/],
  ['a full-width @ sign', 'ana\uff20example.com', /email address such as/],
  ['an IDN in Unicode form', 'ana@bücher.de', /xn--bcher-kva\.de/],
  ['an IDN that cannot be converted', 'ana@a\u0378b.com', /not a valid internationalised/],
  ['an A-label that is not punycode', 'ana@xn--zz.com', /"xn--zz".*not a valid/],
  ['an A-label of plain ASCII', 'ana@xn--ab-.com', /domain of letters/],
  ['an A-label in capitals that is not punycode', 'ana@XN--ZZ.com', /"XN--ZZ".*not a valid/],
  ['what nodemailer 7 made of a soft hyphen', 'ceo@xn--example-oka.com', /not a valid/],
  ['65 characters before the @', `${'a'.repeat(65)}@example.com`, /at most 64/],
  [
    'a 256-character domain',
    `a@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(60)}.com`,
    /longer than 255/,
  ],
  [
    '321 characters',
    `${'a'.repeat(64)}@${`${'d'.repeat(60)}.`.repeat(4)}${'d'.repeat(8)}.com`.padEnd(321, 'x'),
    /at most 320/,
  ],
  ['a leading dot', '.ana@example.com', /single dots/],
  ['two dots in a row', 'ana..silva@example.com', /single dots/],
  ['a trailing dot before the @', 'ana.@example.com', /single dots/],
  ['a bracket in the local part', 'ana<x>@example.com', /before the @/],
  ['an empty local part', '@example.com', /before the @/],
  ['an empty domain', 'ana@', /needs a domain/],
  ['a domain without a top-level domain', 'ana@localhost', /top-level domain/],
  ['a numeric top-level domain', 'ana@example.123', /top-level domain/],
  ['an IP literal', 'ana@[192.0.2.1]', /not an address in brackets/],
  ['an underscore in the domain', 'ana@ex_ample.com', /domain of letters/],
  ['a leading hyphen in a label', 'ana@-example.com', /domain of letters/],
  ['an empty label', 'ana@example..com', /domain of letters/],
  ['a trailing dot in the domain', 'ana@example.com.', /domain of letters/],
  ['a 64-character label', `ana@${'d'.repeat(64)}.com`, /domain of letters/],
];

class Form {
  @IsEmailAddress()
  email: string;
}

class Named {
  @NoControlChars()
  name: string;
}

function detailsOf<T extends object>(type: new () => T, value: Record<string, unknown>) {
  return validateSync(plainToInstance(type, value)).map((e) => e.constraints ?? {});
}

// The stream transport composes exactly what the SMTP transports send.
const composer = createTransport({ streamTransport: true, buffer: true, logger: false });

describe('emailAddressProblem', () => {
  it.each(ACCEPTED)('accepts %s', (_name, address) => {
    expect(emailAddressProblem(address)).toBeUndefined();
    expect(isEmailAddress(address)).toBe(true);
  });

  it.each(REFUSED)('refuses %s', (_name, value, reason) => {
    expect(emailAddressProblem(value)).toMatch(reason);
    expect(isEmailAddress(value)).toBe(false);
  });

  it.each(ACCEPTED)(
    'lets nodemailer write %s into the envelope and the To header unchanged',
    async (_name, address) => {
      const info = await composer.sendMail({
        from: 'x@example.com',
        to: address,
        replyTo: address,
        subject: 's',
        text: 't',
      });
      const raw = (info.message as Buffer).toString('latin1');
      expect(info.envelope.to).toEqual([address]);
      // Long addresses are folded onto a second line; unfold before comparing.
      const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ');
      expect(unfolded).toContain(`\nTo: ${address}\r`);
      expect(unfolded).toContain(`\nReply-To: ${address}\r`);
    },
  );
});

describe('IsEmailAddress', () => {
  it('refuses with one stable constraint and a message naming the field and the fix', () => {
    expect(detailsOf(Form, { email: '"a,b"@example.com' })).toEqual([
      {
        isEmailAddress:
          'email must not have a quoted part before the @ ("..."@example.com); use an address without quotes',
      },
    ]);
    expect(detailsOf(Form, { email: 'ana@bücher.de' })).toEqual([
      {
        isEmailAddress:
          'email must have its domain in ASCII (A-label) form: write xn--bcher-kva.de instead of bücher.de',
      },
    ]);
  });

  it('accepts an address', () => {
    expect(detailsOf(Form, { email: 'ana@example.com' })).toEqual([]);
  });
});

describe('NoControlChars', () => {
  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\0b'],
    ['a vertical tab', 'a\vb'],
    ['a form feed', 'a\fb'],
    ['a next-line character', 'a\u0085b'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
    ['a soft hyphen', 'Ana\u00adSilva'],
    ['a zero-width space', 'Ana\u200b'],
    ['a right-to-left override', 'ana\u202egpj.exe'],
    ['a byte order mark', '\ufeffAna'],
  ])('refuses %s', (_name, value) => {
    expect(hasNoControlChars(value)).toBe(false);
    expect(detailsOf(Named, { name: value })).toEqual([
      {
        noControlChars:
          'name must not contain line breaks, NUL or invisible format characters (such as U+00AD or U+200B)',
      },
    ]);
  });

  it.each([
    ['plain text', 'Ana Silva'],
    ['accents and a tab', 'José\tMaría'],
    ['a zero-width non-joiner in Persian', 'می\u200cخواهم'],
    ['an emoji sequence with zero-width joiners', '👨\u200d👩\u200d👧'],
    ['right-to-left text', 'שלום'],
  ])('accepts %s', (_name, value) => {
    expect(hasNoControlChars(value)).toBe(true);
    expect(detailsOf(Named, { name: value })).toEqual([]);
  });
});
