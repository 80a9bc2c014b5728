import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { domainToASCII } from 'node:url';
import { SmtpError } from './smtp-errors';
import { MAIL_PORTS } from './smtp-settings';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface HostGuardOptions {
  /** Lets private, loopback and other internal addresses and any port through (SMTP_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts: boolean;
  resolver?: HostResolver;
  /** Longest wait for DNS; default 10 s. */
  timeoutMs?: number;
  /** Ports allowed when private hosts are not; default the SMTP and IMAP ports. */
  allowedPorts?: ReadonlySet<number>;
}

/** Where to connect: the checked address, and the name to send for SNI and check the certificate against. */
export interface AllowedHost {
  /** The host as the program gave it, normalised (lower case, ASCII, no brackets or trailing dot). */
  host: string;
  address: string;
  family: 4 | 6;
  /** Undefined when the host is an IP literal: SNI carries names only, and the certificate is checked against the IP. */
  servername?: string;
}

export const systemResolver: HostResolver = async (hostname) => {
  const results = await lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

interface Range {
  bytes: Uint8Array;
  prefix: number;
  label: string;
}

const PRIVATE = 'a private network address';
const V4_RANGES: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, PRIVATE],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, PRIVATE],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, PRIVATE],
  ['198.18.0.0', 15, 'a reserved address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const V6_RANGES: Array<[string, number, string]> = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['100::', 64, 'a reserved address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['64:ff9b:1::', 48, 'a local-use NAT64 address'],
  ['fc00::', 7, PRIVATE],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 address, or undefined when it is not one. */
export function ipv6Bytes(input: string): Uint8Array | undefined {
  let text = input.split('%')[0];
  if (isIP(text) !== 6) return undefined;
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes its two hex words first.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const b = ipv4Bytes(tail);
    text = `${text.slice(0, lastColon + 1)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = text.split('::');
  const words = (part: string | undefined) =>
    part ? part.split(':').map((h) => parseInt(h, 16)) : [];
  const head = words(halves[0]);
  const rest = words(halves[1]);
  const all =
    halves.length === 1
      ? head
      : [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  if (all.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

const toRange = ([address, prefix, label]: [string, number, string]): Range => ({
  bytes: isIPv4(address) ? ipv4Bytes(address) : (ipv6Bytes(address) as Uint8Array),
  prefix,
  label,
});
const V4 = V4_RANGES.map(toRange);
const V6 = V6_RANGES.map(toRange);

function inRange(bytes: Uint8Array, range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const bits = Math.min(8, range.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(bytes: Uint8Array): Uint8Array | undefined {
  const zeros = (n: number) => new Array<number>(n).fill(0);
  if (startsWith(bytes, [...zeros(10), 0xff, 0xff])) return bytes.slice(12);
  if (startsWith(bytes, zeros(12))) return bytes.slice(12);
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, ...zeros(8)])) return bytes.slice(12);
  if (startsWith(bytes, [0x20, 0x02])) return bytes.slice(2, 6);
  return undefined;
}

/**
 * Why an address must not be connected to (loopback, private, link-local, CGNAT, ULA, multicast,
 * unspecified, reserved, or an IPv6 form of one of those), or undefined for a public address.
 */
export function blockedAddressReason(address: string): string | undefined {
  if (isIPv4(address)) {
    const bytes = ipv4Bytes(address);
    return V4.find((range) => inRange(bytes, range))?.label;
  }
  const bytes = ipv6Bytes(address);
  if (!bytes) return 'not an IP address';
  const own = V6.find((range) => inRange(bytes, range))?.label;
  if (own) return own;
  const v4 = embeddedIPv4(bytes);
  const label = v4 ? V4.find((range) => inRange(v4, range))?.label : undefined;
  return label ? `${label} (in IPv6 form)` : undefined;
}

function notAllowed(message: string): SmtpError {
  return new SmtpError('SMTP_HOST_NOT_ALLOWED', message, {
    permanent: true,
    integrationFailing: true,
  });
}

/** Lower case, ASCII (punycode), without IPv6 brackets or a trailing dot; undefined when it cannot be a host. */
export function normalizeHost(input: string): string | undefined {
  let host = input.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIP(host)) return host.toLowerCase();
  host = host.replace(/\.$/, '');
  const ascii = domainToASCII(host);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (!labels.every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)))
    return undefined;
  // A name made only of digits and dots would be read as an IPv4 address by some resolvers.
  if (labels.every((label) => /^\d+$/.test(label))) return undefined;
  return ascii;
}

function dnsFailure(host: string, err: unknown): SmtpError {
  const text =
    err instanceof Error
      ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`
      : String(err);
  if (/ENOTFOUND|EAI_NONAME|ENODATA|NXDOMAIN/i.test(text)) {
    return new SmtpError(
      'SMTP_DNS_FAILED',
      `The host name ${host} was not found in DNS. Check the spelling of the SMTP host.`,
      {
        permanent: false,
      },
    );
  }
  return new SmtpError(
    'SMTP_DNS_FAILED',
    `Looking up ${host} in DNS failed for now; try again in a few minutes.`,
    { permanent: false },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'EAI_AGAIN' })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The SSRF guard for every host a program supplies (SMTP and IMAP). Resolves the name and refuses
 * internal addresses and non-mail ports, unless private hosts are allowed. The caller connects to
 * `address` (with `servername` for SNI and the certificate check), so DNS cannot change in between.
 */
export async function resolveAllowedHost(
  inputHost: string,
  port: number,
  options: HostGuardOptions,
): Promise<AllowedHost> {
  const host = normalizeHost(inputHost);
  if (!host) throw notAllowed(`${JSON.stringify(inputHost)} is not a valid host name.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw notAllowed(`Port ${port} is not a valid port number.`);
  const allowedPorts = options.allowedPorts ?? MAIL_PORTS;
  if (!options.allowPrivateHosts && !allowedPorts.has(port)) {
    throw notAllowed(`Port ${port} is not a mail port. Use ${[...allowedPorts].join(', ')}.`);
  }

  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await withTimeout(
        (options.resolver ?? systemResolver)(host),
        options.timeoutMs ?? 10_000,
      );
    } catch (err) {
      throw dnsFailure(host, err);
    }
    if (addresses.length === 0) {
      throw new SmtpError(
        'SMTP_DNS_FAILED',
        `The host name ${host} has no address in DNS. Check the SMTP host.`,
        { permanent: false },
      );
    }
  }

  if (!options.allowPrivateHosts) {
    // Every address is checked: a name that mixes public and internal addresses is refused whole.
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason) {
        // The resolved address is not echoed: it would let a caller map internal DNS.
        throw notAllowed(
          literal
            ? `${host} is ${reason}; only public mail servers can be used.`
            : `${host} resolves to ${reason}; only public mail servers can be used.`,
        );
      }
    }
  }
  const chosen = addresses[0];
  return {
    host,
    address: chosen.address,
    family: chosen.family,
    servername: literal ? undefined : host,
  };
}
