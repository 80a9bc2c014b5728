export type SenderDnsRecordType = 'TXT' | 'CNAME';
export type SenderDnsRecordPurpose = 'dkim' | 'spf' | 'return-path' | 'dmarc';

/** One record a program publishes for its sender domain. */
export interface SenderDnsRecord {
  purpose: SenderDnsRecordPurpose;
  type: SenderDnsRecordType;
  /** Fully qualified name, lowercase, without the trailing dot. */
  name: string;
  /** What a person enters at their DNS provider; long TXT values as quoted strings. */
  value: string;
  /** The logical value: a TXT record's strings joined, or a CNAME target. */
  content: string;
  /** TXT only: the character-strings of at most 255 bytes that make up the record. */
  strings?: string[];
  /** Required records decide whether the domain is verified; the others are advice. */
  required: boolean;
}

/** Platform side of the records, from configuration. */
export interface SenderDnsPlatform {
  /** Domain customers add to their SPF record as `include:`, e.g. spf.<platform domain>. */
  spfInclude: string;
  /** Host the return-path CNAME points at, e.g. bounces.<platform domain>. */
  bounceHost: string;
  /** First label of the return-path name; `bounces` gives bounces.<domain>. */
  returnPathLabel?: string;
  /** Where DMARC aggregate reports go; defaults to dmarc-reports@<domain>. */
  dmarcReportAddress?: string;
}

export interface SenderDnsInput {
  /** Normalised domain (see normalizeSenderDomain). */
  domain: string;
  selector: string;
  /** Base64 DER public key. */
  publicKey: string;
}

/** A TXT character-string holds at most 255 bytes (RFC 1035 3.3.14). */
export const TXT_STRING_MAX_BYTES = 255;

/** Splits a TXT value into character-strings of at most `max` bytes, never inside a UTF-8 character. */
export function splitTxtValue(value: string, max = TXT_STRING_MAX_BYTES): string[] {
  if (Buffer.byteLength(value) <= max) return [value];
  const strings: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const char of value) {
    const bytes = Buffer.byteLength(char);
    if (currentBytes + bytes > max) {
      strings.push(current);
      current = '';
      currentBytes = 0;
    }
    current += char;
    currentBytes += bytes;
  }
  if (current !== '') strings.push(current);
  return strings;
}

/**
 * How a TXT value is shown for publishing: one string as it is, several as quoted strings
 * joined by a space, the zone-file form that providers with a 255-byte field accept.
 */
export function formatTxtValue(strings: readonly string[]): string {
  if (strings.length === 1) return strings[0];
  return strings.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(' ');
}

export function dkimRecordName(domain: string, selector: string): string {
  return `${selector}._domainkey.${domain}`;
}

export function dkimRecordContent(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`;
}

export function spfRecordContent(spfInclude: string): string {
  return `v=spf1 include:${spfInclude} ~all`;
}

/**
 * The SPF record to publish when the domain already has one: the same record with the include
 * added before its `all` or `redirect`, since a domain may hold only one SPF record.
 */
export function suggestSpfRecord(existing: string | undefined, spfInclude: string): string {
  if (!existing || !/^v=spf1(\s|$)/i.test(existing.trim())) return spfRecordContent(spfInclude);
  const terms = existing.trim().split(/\s+/);
  const include = `include:${spfInclude}`;
  if (terms.some((t) => t.toLowerCase() === include.toLowerCase())) return terms.join(' ');
  const end = terms.findIndex((t, i) => i > 0 && /^([+?~-]?all|redirect=)/i.test(t));
  terms.splice(end === -1 ? terms.length : end, 0, include);
  return terms.join(' ');
}

function txtRecord(
  purpose: SenderDnsRecordPurpose,
  name: string,
  content: string,
  required: boolean,
): SenderDnsRecord {
  const strings = splitTxtValue(content);
  return { purpose, type: 'TXT', name, value: formatTxtValue(strings), content, strings, required };
}

/**
 * The records a program publishes for its sender domain, in the order to show them:
 * DKIM and SPF (required), return-path and DMARC (recommended).
 */
export function buildSenderDnsRecords(
  input: SenderDnsInput,
  platform: SenderDnsPlatform,
): SenderDnsRecord[] {
  const { domain, selector, publicKey } = input;
  const bounceHost = platform.bounceHost.toLowerCase().replace(/\.$/, '');
  const returnPathName = `${platform.returnPathLabel ?? 'bounces'}.${domain}`;
  const rua = platform.dmarcReportAddress ?? `dmarc-reports@${domain}`;
  return [
    txtRecord('dkim', dkimRecordName(domain, selector), dkimRecordContent(publicKey), true),
    txtRecord(
      'spf',
      domain,
      spfRecordContent(platform.spfInclude.toLowerCase().replace(/\.$/, '')),
      true,
    ),
    {
      purpose: 'return-path',
      type: 'CNAME',
      name: returnPathName,
      value: bounceHost,
      content: bounceHost,
      required: false,
    },
    txtRecord('dmarc', `_dmarc.${domain}`, `v=DMARC1; p=none; rua=mailto:${rua}`, false),
  ];
}
