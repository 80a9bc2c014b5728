import { lookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';
import { domainToASCII } from 'node:url';
import { IPv4, IPv6 } from 'ipaddr.js';
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

interface Range<T> {
  range: T;
  bits: number;
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
// Only ranges that carry no IPv4 address: the forms that embed one are judged by that address.
const V6_RANGES: Array<[string, number, string]> = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['100::', 64, 'a reserved address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, PRIVATE],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];
const V4: Range<IPv4>[] = V4_RANGES.map(([address, bits, label]) => ({
  range: IPv4.parse(address),
  bits,
  label,
}));
const V6: Range<IPv6>[] = V6_RANGES.map(([address, bits, label]) => ({
  range: IPv6.parse(address),
  bits,
  label,
}));
// Every public IPv6 address is global unicast; anything else outside the embedding forms is refused.
const GLOBAL_UNICAST: [IPv6, number] = [IPv6.parse('2000::'), 3];

/** Parses an IPv6 address in any spelling Node accepts (hex words, dotted tail, zone id); undefined otherwise. */
function parseIPv6(input: string): IPv6 | undefined {
  // Node's parser decides what is an address: it is the one the connection will use.
  if (isIP(input) !== 6) return undefined;
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped; `0::a.b.c.d` gives the bytes as written.
  const text = input.startsWith('::') && isIPv4(input.slice(2).split('%')[0]) ? `0${input}` : input;
  return IPv6.parse(text);
}

/** 16 bytes of an IPv6 address, or undefined when it is not one. */
export function ipv6Bytes(input: string): Uint8Array | undefined {
  const parsed = parseIPv6(input);
  return parsed ? Uint8Array.from(parsed.toByteArray()) : undefined;
}

const startsWith = (bytes: readonly number[], prefix: readonly number[]) =>
  prefix.every((b, i) => bytes[i] === b);
const zeros = (n: number) => new Array<number>(n).fill(0);
const v4At = (bytes: readonly number[], ...indexes: number[]) =>
  new IPv4(indexes.map((i) => bytes[i]));
const isZeroNet = (v4: IPv4) => v4.octets[0] === 0;

/**
 * The IPv4 addresses an IPv6 address leads to when it embeds one, or undefined when it embeds
 * none. Decided on the 16 bytes, so every spelling of the same address gives the same answer.
 */
function embeddedIPv4(address: IPv6): IPv4[] | undefined {
  const b = address.toByteArray();
  const last = () => [v4At(b, 12, 13, 14, 15)];
  // IPv4-mapped ::ffff:0:0/96 (RFC 4291).
  if (startsWith(b, [...zeros(10), 0xff, 0xff])) return last();
  // IPv4-translated ::ffff:0:0:0/96 (RFC 2765, SIIT).
  if (startsWith(b, [...zeros(8), 0xff, 0xff, 0, 0])) return last();
  // IPv4-compatible ::/96 (RFC 4291, deprecated; :: and ::1 are caught by their own ranges first).
  if (startsWith(b, zeros(12))) return last();
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, ...zeros(8)])) return last();
  // NAT64 local-use 64:ff9b:1::/48 (RFC 8215): the operator picks the prefix length, so the
  // IPv4 address is read at every place RFC 6052 allows inside a /48 (byte 8 is always skipped).
  // A position that reads 0.0.0.0/8 is the zero padding of another layout, and no translator
  // sends to 0.0.0.0/8; when every position does, the address itself is that.
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01])) {
    const layouts = [
      v4At(b, 6, 7, 9, 10), // /48
      v4At(b, 7, 9, 10, 11), // /56
      v4At(b, 9, 10, 11, 12), // /64
      v4At(b, 12, 13, 14, 15), // /96
    ];
    const meaningful = layouts.filter((v4) => !isZeroNet(v4));
    return meaningful.length ? meaningful : [layouts[3]];
  }
  // 6to4 2002::/16 (RFC 3056): the IPv4 address follows the prefix.
  if (startsWith(b, [0x20, 0x02])) return [v4At(b, 2, 3, 4, 5)];
  // Teredo 2001:0::/32 (RFC 4380): the client's IPv4 address is the last 32 bits inverted.
  if (startsWith(b, [0x20, 0x01, 0x00, 0x00])) {
    return [new IPv4(b.slice(12).map((byte) => byte ^ 0xff))];
  }
  // ISATAP (RFC 5214): an interface id of 0:5efe or 200:5efe carries the IPv4 address under any prefix.
  if (
    startsWith(b.slice(8), [0x00, 0x00, 0x5e, 0xfe]) ||
    startsWith(b.slice(8), [0x02, 0x00, 0x5e, 0xfe])
  )
    return last();
  return undefined;
}

const v4Reason = (address: IPv4): string | undefined =>
  V4.find(({ range, bits }) => address.match(range, bits))?.label;

/**
 * Why an address must not be connected to (loopback, private, link-local, CGNAT, ULA, multicast,
 * unspecified, reserved, or an IPv6 form of one of those), or undefined for a public address.
 */
export function blockedAddressReason(address: string): string | undefined {
  if (isIP(address) === 4) return v4Reason(IPv4.parse(address));
  const v6 = parseIPv6(address);
  if (!v6) return 'not an IP address';
  const own = V6.find(({ range, bits }) => v6.match(range, bits))?.label;
  if (own) return own;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    // Whichever of them the connection would reach, each must be public.
    for (const v4 of embedded) {
      const label = v4Reason(v4);
      if (label) return `${label} (in IPv6 form)`;
    }
    return undefined;
  }
  return v6.match(GLOBAL_UNICAST) ? undefined : 'a reserved address';
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
