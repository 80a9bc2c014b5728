import { domainToASCII, domainToUnicode } from 'node:url';

// What an address the service sends to may hold: a dot-atom local part in printable ASCII and a
// host name in ASCII (IDNs as A-labels), so that nodemailer writes it into the envelope and the
// To header exactly as it was stored. Anything it would rewrite (a quoted local part, a U-label
// domain it maps, an invisible character it drops) is refused instead of sent somewhere else.

export const MAX_ADDRESS_LENGTH = 320;
export const MAX_LOCAL_PART_LENGTH = 64;
export const MAX_DOMAIN_LENGTH = 255;

// RFC 5322 atext, in dot-atom form.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const DOT_ATOM = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`);
const ATEXT_SHOWN = "! # $ % & ' * + - / = ? ^ _ ` { | } ~";
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i;

// C0 and C1 controls (NEL is U+0085), DEL, the Unicode line and paragraph separators, and the
// invisible format characters (category Cf: soft hyphen, zero-width space and joiners, bidi
// controls, BOM, ...), which mail software drops or maps, so the address changes on the way.
const HIDDEN = /[\p{Cc}\u2028\u2029\p{Cf}]/u;
const NON_ASCII = /\P{ASCII}/u;

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why an A-label (`xn--...`) would not stay as written: it must decode to an IDN and back. */
function aLabelProblem(label: string): string | undefined {
  const unicode = domainToUnicode(label);
  if (
    unicode === '' ||
    !NON_ASCII.test(unicode) ||
    domainToASCII(unicode) !== label.toLowerCase()
  ) {
    return `has the domain label "${label}", which is not a valid internationalised (xn--) name; check its spelling`;
  }
  return undefined;
}

function domainProblem(domain: string): string | undefined {
  if (domain === '') return 'needs a domain after the @, such as example.com';
  if (domain.length > MAX_DOMAIN_LENGTH) {
    return `has a domain longer than ${MAX_DOMAIN_LENGTH} characters`;
  }
  if (domain.startsWith('[')) {
    return 'must have a domain name such as example.com, not an address in brackets';
  }
  if (NON_ASCII.test(domain)) {
    const ascii = domainToASCII(domain);
    return ascii
      ? `must have its domain in ASCII (A-label) form: write ${ascii} instead of ${domain}`
      : 'has a domain that is not a valid internationalised domain name';
  }
  const labels = domain.split('.');
  if (labels.length < 2) return 'needs a domain with a top-level domain, such as example.com';
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return 'must have a domain of letters, digits and inner hyphens between single dots, such as mail.example.com';
    }
    if (/^xn--/i.test(label)) {
      const problem = aLabelProblem(label);
      if (problem) return problem;
    }
  }
  if (!TOP_LEVEL.test(labels[labels.length - 1])) {
    return 'needs a top-level domain of letters, such as .com or .org';
  }
  return undefined;
}

function localPartProblem(local: string): string | undefined {
  if (local === '') return 'needs a name before the @';
  const nonAscii = [...local].find((c) => c > '\u007e');
  if (nonAscii) {
    return `must have only ASCII letters, digits and ${ATEXT_SHOWN} before the @ (it has ${codePoint(nonAscii)})`;
  }
  if (local.length > MAX_LOCAL_PART_LENGTH) {
    return `must have at most ${MAX_LOCAL_PART_LENGTH} characters before the @`;
  }
  if (!DOT_ATOM.test(local)) {
    return `must have only letters, digits and ${ATEXT_SHOWN} before the @, with single dots between them`;
  }
  return undefined;
}

/**
 * Why `value` is not an address the service accepts, as the end of a sentence that starts with
 * the field's name ("email must ..."); undefined when it is one.
 */
export function emailAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') {
    return 'must be an email address such as ana@example.com';
  }
  if (value.length > MAX_ADDRESS_LENGTH) {
    return `must be at most ${MAX_ADDRESS_LENGTH} characters long`;
  }
  const hidden = HIDDEN.exec(value);
  if (hidden) {
    return `must not contain control, line-separator or invisible characters (it has ${codePoint(hidden[0])}); type the address again`;
  }
  // nodemailer writes a quoted local part unquoted in places ("a,b"@x as a,b@x): two addresses.
  if (value.startsWith('"')) {
    return 'must not have a quoted part before the @ ("..."@example.com); use an address without quotes';
  }
  if (/\s/.test(value)) return 'must not contain spaces';
  const at = value.indexOf('@');
  if (at === -1) return 'must be an email address such as ana@example.com';
  if (value.indexOf('@', at + 1) !== -1) {
    return 'must be one address such as ana@example.com (it has more than one @)';
  }
  return localPartProblem(value.slice(0, at)) ?? domainProblem(value.slice(at + 1));
}

export function isEmailAddress(value: unknown): value is string {
  return emailAddressProblem(value) === undefined;
}
