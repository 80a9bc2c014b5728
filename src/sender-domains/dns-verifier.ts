import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { SenderDnsRecord, suggestSpfRecord } from './dns-records';

export type SenderDnsStatus = 'pending' | 'verified' | 'failed';

/**
 * Why a record is not verified. LOOKUP_FAILED is a DNS problem (SERVFAIL, timeout), not a
 * wrong record, so a caller may keep an earlier verified status when it is the only cause.
 */
export type SenderDnsCheckCode =
  'RECORD_MISSING' | 'VALUE_MISMATCH' | 'MULTIPLE_RECORDS' | 'LOOKUP_FAILED';

export interface SenderDnsRecordCheck extends SenderDnsRecord {
  status: SenderDnsStatus;
  /** The values found at the record's name for its purpose (TXT strings joined). */
  found: string[];
  code?: SenderDnsCheckCode;
  /** Why the record is pending or failed, in words a person can act on. */
  reason?: string;
}

export interface SenderDomainVerification {
  /** verified when every required record is; failed when any required record failed. */
  status: SenderDnsStatus;
  records: SenderDnsRecordCheck[];
  checkedAt: Date;
}

export interface DnsVerifierOptions {
  /** `ip` or `ip:port` (`[v6]:port`) entries; the system's resolvers when empty. */
  servers?: readonly string[];
  /** Per-attempt timeout. */
  timeoutMs?: number;
  tries?: number;
}

/** Parses DNS_SERVERS (`ip` or `ip:port`, comma separated); undefined when unset or blank. */
export function parseDnsServers(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const server of servers) {
    if (!isValidDnsServer(server)) {
      throw new Error(`DNS_SERVERS entry "${server}" is not an IP address, ip:port or [ipv6]:port`);
    }
  }
  return servers.length > 0 ? servers : undefined;
}

function isValidDnsServer(server: string): boolean {
  if (isIP(server) !== 0) return true;
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server);
  if (bracketed) return isIP(bracketed[1]) === 6 && isPort(bracketed[2]);
  const withPort = /^([^:]+):(\d{1,5})$/.exec(server);
  return withPort !== null && isIP(withPort[1]) === 4 && isPort(withPort[2]);
}

function isPort(value: string): boolean {
  const port = Number(value);
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

class RecordMissing extends Error {}

type Lookup =
  | { ok: true; values: string[] }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

const LOOKUP_ERRORS: Record<string, string> = {
  ETIMEOUT: 'the DNS lookup timed out',
  ESERVFAIL: "the DNS server answered SERVFAIL; the domain's name servers may be misconfigured",
  EREFUSED: 'the DNS server refused the query',
  ECONNREFUSED: 'the DNS server could not be reached (connection refused)',
  EBADRESP: 'the DNS server sent a malformed answer',
  ECANCELLED: 'the DNS lookup was cancelled',
};

function lookupFailure(err: unknown): Lookup {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  // NXDOMAIN and "no record of this type" only mean the record is not published (yet).
  if (code === 'ENOTFOUND' || code === 'ENODATA' || err instanceof RecordMissing)
    return { ok: false, missing: true };
  return {
    ok: false,
    missing: false,
    reason: LOOKUP_ERRORS[code] ?? `the DNS lookup failed (${code || String(err)})`,
  };
}

function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Tag-list of a DKIM key record, values with whitespace removed (RFC 6376 3.6.1). */
function dkimTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

function includesOf(spf: string): string[] {
  return spf
    .trim()
    .split(/\s+/)
    .map((term) => /^\+?include:(.+)$/i.exec(term)?.[1])
    .filter((d): d is string => d !== undefined)
    .map(normalizeHost);
}

type Outcome = Pick<SenderDnsRecordCheck, 'status' | 'found' | 'code' | 'reason'>;

const verified = (found: string[]): Outcome => ({ status: 'verified', found });
const pending = (found: string[], reason: string): Outcome => ({
  status: 'pending',
  found,
  code: 'RECORD_MISSING',
  reason,
});
const failed = (found: string[], code: SenderDnsCheckCode, reason: string): Outcome => ({
  status: 'failed',
  found,
  code,
  reason,
});

/** Checks the published records of a sender domain against the resolvers it is built with. */
export class DnsVerifier {
  private readonly resolver: dns.Resolver;

  constructor(options: DnsVerifierOptions = {}) {
    this.resolver = new dns.Resolver({
      timeout: options.timeoutMs ?? 2000,
      tries: options.tries ?? 2,
    });
    if (options.servers && options.servers.length > 0)
      this.resolver.setServers([...options.servers]);
  }

  async verify(records: readonly SenderDnsRecord[]): Promise<SenderDomainVerification> {
    const checks = await Promise.all(records.map((record) => this.check(record)));
    const required = checks.filter((c) => c.required);
    let status: SenderDnsStatus = 'pending';
    if (required.some((c) => c.status === 'failed')) status = 'failed';
    else if (required.every((c) => c.status === 'verified')) status = 'verified';
    return { status, records: checks, checkedAt: new Date() };
  }

  async check(record: SenderDnsRecord): Promise<SenderDnsRecordCheck> {
    let outcome: Outcome;
    switch (record.purpose) {
      case 'dkim':
        outcome = this.checkDkim(record, await this.txt(record.name));
        break;
      case 'spf':
        outcome = this.checkSpf(record, await this.txt(record.name));
        break;
      case 'dmarc':
        outcome = this.checkDmarc(record, await this.txt(record.name));
        break;
      case 'return-path':
        outcome = this.checkCname(record, await this.cname(record.name));
        break;
    }
    return { ...record, ...outcome };
  }

  private async txt(name: string): Promise<Lookup> {
    try {
      const records = await this.resolver.resolveTxt(name);
      return { ok: true, values: records.map((strings) => strings.join('')) };
    } catch (err) {
      return lookupFailure(err);
    }
  }

  private async cname(name: string): Promise<Lookup> {
    try {
      const targets = await this.resolver.resolveCname(name);
      if (targets.length === 0) throw new RecordMissing();
      return { ok: true, values: targets.map(normalizeHost) };
    } catch (err) {
      return lookupFailure(err);
    }
  }

  private checkDkim(record: SenderDnsRecord, lookup: Lookup): Outcome {
    if (!lookup.ok) return this.unresolved(record, lookup);
    const found = lookup.values;
    if (found.length === 0) return pending(found, this.notYet(record));
    if (found.length > 1) {
      return failed(
        found,
        'MULTIPLE_RECORDS',
        `${record.name} holds ${found.length} TXT records; keep only the DKIM key shown here`,
      );
    }
    const expected = dkimTags(record.content);
    const actual = dkimTags(found[0]);
    const versionOk = !actual.has('v') || actual.get('v')?.toUpperCase() === 'DKIM1';
    const typeOk = !actual.has('k') || actual.get('k')?.toLowerCase() === 'rsa';
    if (versionOk && typeOk && actual.get('p') === expected.get('p')) return verified(found);
    if (found[0].includes('"')) {
      return failed(
        found,
        'VALUE_MISMATCH',
        `the DKIM record at ${record.name} contains quote characters; enter the value without quotes, or as separate strings if your provider asks for them`,
      );
    }
    return failed(
      found,
      'VALUE_MISMATCH',
      `the DKIM record at ${record.name} does not hold this domain's public key; replace it with the value shown here`,
    );
  }

  private checkSpf(record: SenderDnsRecord, lookup: Lookup): Outcome {
    if (!lookup.ok) return this.unresolved(record, lookup);
    const found = lookup.values.filter((v) => /^v=spf1(\s|$)/i.test(v.trim()));
    const wanted = includesOf(record.content);
    if (found.length === 0)
      return pending(
        found,
        `no SPF record found at ${record.name} yet; publish: ${record.content}`,
      );
    if (found.length > 1) {
      return failed(
        found,
        'MULTIPLE_RECORDS',
        `${record.name} has ${found.length} SPF records, and receivers then reject all of them; merge them into one that includes ${wanted.join(', ')}`,
      );
    }
    const present = new Set(includesOf(found[0]));
    const missing = wanted.filter((d) => !present.has(d));
    if (missing.length === 0) return verified(found);
    const suggestion = missing.reduce<string>(
      (spf, include) => suggestSpfRecord(spf, include),
      found[0],
    );
    return failed(
      found,
      'VALUE_MISMATCH',
      `the SPF record at ${record.name} does not include ${missing.join(', ')}; change it to: ${suggestion}`,
    );
  }

  private checkDmarc(record: SenderDnsRecord, lookup: Lookup): Outcome {
    if (!lookup.ok) return this.unresolved(record, lookup);
    // Any DMARC policy of the domain's own is fine; ours is only a suggestion.
    const found = lookup.values.filter((v) => /^v=DMARC1(;|\s|$)/i.test(v.trim()));
    if (found.length === 0) return pending(found, this.notYet(record));
    if (found.length > 1) {
      return failed(
        found,
        'MULTIPLE_RECORDS',
        `${record.name} has ${found.length} DMARC records, and receivers then ignore them; keep one`,
      );
    }
    return verified(found);
  }

  private checkCname(record: SenderDnsRecord, lookup: Lookup): Outcome {
    if (!lookup.ok) return this.unresolved(record, lookup);
    const found = lookup.values;
    if (found.includes(normalizeHost(record.content))) return verified(found);
    return failed(
      found,
      'VALUE_MISMATCH',
      `${record.name} points to ${found.join(', ')}; it should point to ${record.content}`,
    );
  }

  private unresolved(record: SenderDnsRecord, lookup: Exclude<Lookup, { ok: true }>): Outcome {
    if (lookup.missing) return pending([], this.notYet(record));
    return failed([], 'LOOKUP_FAILED', `${record.name}: ${lookup.reason}`);
  }

  private notYet(record: SenderDnsRecord): string {
    return `no ${record.type} record found at ${record.name} yet; new records can take a while to appear`;
  }
}
