/**
 * The "Name: value" groups of the machine-readable parts of reports (RFC 3464's
 * message/delivery-status, RFC 5965's message/feedback-report, RFC 8098's
 * message/disposition-notification) and of header blocks (text/rfc822-headers, the head of a
 * message/rfc822). One linear pass; the input is already capped by the caller.
 */

/** One field, its name lowercased, its value unfolded and trimmed. */
export interface ReportField {
  name: string;
  value: string;
}

export type FieldGroup = ReportField[];

// A report part names a few fields per recipient; nothing legitimate comes near these.
export const MAX_GROUPS = 1000;
export const MAX_FIELDS_PER_GROUP = 500;
const MAX_VALUE_LENGTH = 8192;

const FIELD_LINE = /^([!-9;-~]{1,76}):[ \t]*(.*)$/;

/** Blank-line separated groups of fields. Lines that are not fields are skipped. */
export function parseFieldGroups(text: string, maxGroups = MAX_GROUPS): FieldGroup[] {
  const groups: FieldGroup[] = [];
  let current: FieldGroup = [];
  let last: ReportField | undefined;
  let start = 0;
  const flush = () => {
    if (current.length > 0) groups.push(current);
    current = [];
    last = undefined;
  };
  while (start <= text.length && groups.length < maxGroups) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      // A folded continuation of the field above.
      if (last && last.value.length < MAX_VALUE_LENGTH) {
        last.value = `${last.value} ${line.trim()}`.slice(0, MAX_VALUE_LENGTH).trim();
      }
      continue;
    }
    const match = FIELD_LINE.exec(line);
    if (!match) {
      last = undefined;
      continue;
    }
    if (current.length >= MAX_FIELDS_PER_GROUP) continue;
    last = { name: match[1].toLowerCase(), value: match[2].slice(0, MAX_VALUE_LENGTH).trim() };
    current.push(last);
  }
  flush();
  return groups;
}

/** The header block of a message or of text/rfc822-headers: everything before the first blank line. */
export function parseHeaderBlock(text: string): FieldGroup {
  const lead = text.replace(/^(?:[ \t]*\r?\n)+/, '');
  return parseFieldGroups(lead, 1)[0] ?? [];
}

export function field(group: FieldGroup, name: string): string | null {
  const found = group.find((f) => f.name === name);
  return found && found.value !== '' ? found.value : null;
}

export function fields(group: FieldGroup, name: string): string[] {
  return group.filter((f) => f.name === name && f.value !== '').map((f) => f.value);
}

/**
 * The address of a typed address field: `rfc822; ghost@acme.test` → `ghost@acme.test`
 * (RFC 3464 2.3.2; utf-8 addresses of RFC 6533 too), angle brackets and comments dropped.
 */
export function typedAddress(value: string | null): string | null {
  if (!value) return null;
  const semi = value.indexOf(';');
  let address = semi >= 0 && semi < 20 ? value.slice(semi + 1) : value;
  address = address.replace(/\([^)]*\)/g, ' ').trim();
  const bracketed = /<([^<>\s]+)>/.exec(address);
  if (bracketed) address = bracketed[1];
  address = address.split(/\s+/)[0] ?? '';
  return address.includes('@') && address.length <= 320 ? address : null;
}

/** A Message-ID as `<id>`, or null when the value holds none. */
export function messageIdOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const bracketed = /<([^<>\s]{1,500})>/.exec(value);
  if (bracketed) return `<${bracketed[1]}>`;
  const bare = value.trim();
  return bare && !/\s/.test(bare) && bare.length <= 500 ? `<${bare}>` : null;
}

/** A date header value, or null when it is missing or unreadable (never "now"). */
export function dateOf(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value.replace(/\([^)]*\)/g, ' ').trim());
  return Number.isNaN(date.getTime()) ? null : date;
}
