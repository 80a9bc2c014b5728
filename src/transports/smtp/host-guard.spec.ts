import {
  blockedAddressReason,
  ipv6Bytes,
  normalizeHost,
  resolveAllowedHost,
  type HostResolver,
  type ResolvedAddress,
} from './host-guard';
import { SmtpError } from './smtp-errors';

function fakeResolver(table: Record<string, string[]>): HostResolver & jest.Mock {
  return jest.fn(async (host: string): Promise<ResolvedAddress[]> => {
    const addresses = table[host];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  });
}

async function guardError(promise: Promise<unknown>): Promise<SmtpError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SmtpError) return err;
    throw err;
  }
  throw new Error('expected the guard to refuse');
}

describe('resolveAllowedHost', () => {
  const resolver = fakeResolver({
    'smtp.example.com': ['93.184.216.34'],
    'smtp6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
    'mixed.example.com': ['93.184.216.34', '10.0.0.7'],
    'internal.example.com': ['10.1.2.3'],
  });

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.8.9.10', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['169.254.169.254', 'a link-local address'],
    ['10.0.0.1', 'a private network address'],
    ['172.16.0.1', 'a private network address'],
    ['172.31.255.254', 'a private network address'],
    ['192.168.1.1', 'a private network address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['100.127.255.254', 'a carrier-grade NAT address'],
    ['fc00::1', 'a private network address'],
    ['fd12:3456::1', 'a private network address'],
    ['fe80::1', 'a link-local address'],
    ['::ffff:127.0.0.1', 'a loopback address (in IPv6 form)'],
    ['::ffff:a9fe:a9fe', 'a link-local address (in IPv6 form)'],
    ['::ffff:10.0.0.1', 'a private network address (in IPv6 form)'],
    ['64:ff9b::10.0.0.1', 'a private network address (in IPv6 form)'],
    ['2002:c0a8:0101::1', 'a private network address (in IPv6 form)'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
  ])('refuses the address %s (%s)', async (address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
    const err = await guardError(
      resolveAllowedHost(address, 587, { allowPrivateHosts: false, resolver }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
    expect(err.permanent).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '100.128.0.1',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
  ])('allows the public address %s', async (address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
    await expect(
      resolveAllowedHost(address, 465, { allowPrivateHosts: false, resolver }),
    ).resolves.toEqual({
      host: address,
      address,
      family: address.includes(':') ? 6 : 4,
      servername: undefined,
    });
  });

  it('resolves a public name and keeps the name for SNI', async () => {
    await expect(
      resolveAllowedHost('SMTP.Example.com.', 587, { allowPrivateHosts: false, resolver }),
    ).resolves.toEqual({
      host: 'smtp.example.com',
      address: '93.184.216.34',
      family: 4,
      servername: 'smtp.example.com',
    });
  });

  it('resolves an IPv6-only name', async () => {
    const target = await resolveAllowedHost('smtp6.example.com', 587, {
      allowPrivateHosts: false,
      resolver,
    });
    expect(target).toMatchObject({
      address: '2606:2800:220:1:248:1893:25c8:1946',
      family: 6,
      servername: 'smtp6.example.com',
    });
  });

  it('refuses a name that resolves to a private address without echoing the address', async () => {
    const err = await guardError(
      resolveAllowedHost('internal.example.com', 587, { allowPrivateHosts: false, resolver }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
    expect(err.message).toContain('internal.example.com resolves to a private network address');
    expect(err.message).not.toContain('10.1.2.3');
  });

  it('refuses a name when any of its addresses is internal', async () => {
    const err = await guardError(
      resolveAllowedHost('mixed.example.com', 587, { allowPrivateHosts: false, resolver }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
  });

  it.each([25, 465, 587, 2525, 143, 993])('allows the mail port %i', async (port) => {
    await expect(
      resolveAllowedHost('smtp.example.com', port, { allowPrivateHosts: false, resolver }),
    ).resolves.toBeDefined();
  });

  it.each([8080, 22, 6379, 80, 443])('refuses the port %i', async (port) => {
    const err = await guardError(
      resolveAllowedHost('smtp.example.com', port, { allowPrivateHosts: false, resolver }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
    expect(err.message).toContain(`Port ${port} is not a mail port`);
  });

  it('lets private hosts and any port through when allowPrivateHosts is on', async () => {
    await expect(
      resolveAllowedHost('internal.example.com', 8025, { allowPrivateHosts: true, resolver }),
    ).resolves.toEqual({
      host: 'internal.example.com',
      address: '10.1.2.3',
      family: 4,
      servername: 'internal.example.com',
    });
    await expect(
      resolveAllowedHost('127.0.0.1', 2525, { allowPrivateHosts: true }),
    ).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('refuses an invalid port even when private hosts are allowed', async () => {
    const err = await guardError(
      resolveAllowedHost('smtp.example.com', 70000, { allowPrivateHosts: true, resolver }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
  });

  it('reports a name that does not exist as SMTP_DNS_FAILED', async () => {
    const err = await guardError(
      resolveAllowedHost('nope.example.com', 587, { allowPrivateHosts: false, resolver }),
    );
    expect(err.code).toBe('SMTP_DNS_FAILED');
    expect(err.message).toContain('nope.example.com was not found');
  });

  it('gives up on a DNS lookup that hangs', async () => {
    const hanging: HostResolver = () => new Promise(() => undefined);
    const err = await guardError(
      resolveAllowedHost('slow.example.com', 587, {
        allowPrivateHosts: false,
        resolver: hanging,
        timeoutMs: 20,
      }),
    );
    expect(err.code).toBe('SMTP_DNS_FAILED');
    expect(err.permanent).toBe(false);
  });

  it.each([
    '',
    'smtp example.com',
    'http://smtp.example.com',
    'user@smtp.example.com',
    '-bad.example.com',
    '1.2.3',
    'a'.repeat(64) + '.com',
  ])('refuses the host %j without a lookup', async (host) => {
    const lookup = fakeResolver({});
    const err = await guardError(
      resolveAllowedHost(host, 587, { allowPrivateHosts: false, resolver: lookup }),
    );
    expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('converts an internationalised name to ASCII before the lookup', async () => {
    const lookup = fakeResolver({ 'xn--mnchen-3ya.example': ['93.184.216.34'] });
    await expect(
      resolveAllowedHost('münchen.example', 587, { allowPrivateHosts: false, resolver: lookup }),
    ).resolves.toMatchObject({
      servername: 'xn--mnchen-3ya.example',
    });
  });
});

// Every IPv6 form that carries an IPv4 address, in several spellings, built from the IPv4 address.
function ipv6Forms(v4: string): Array<[string, string]> {
  const [a, b, c, d] = v4.split('.').map(Number);
  const word = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  const padded = (hi: number, lo: number) => word(hi, lo).padStart(4, '0');
  const [h1, h2] = [word(a, b), word(c, d)];
  const [x1, x2] = [word(a ^ 0xff, b ^ 0xff), word(c ^ 0xff, d ^ 0xff)];
  return [
    ['IPv4-mapped, dotted', `::ffff:${v4}`],
    ['IPv4-mapped, hex words', `::ffff:${h1}:${h2}`],
    [
      'IPv4-mapped, expanded upper case',
      `0000:0000:0000:0000:0000:FFFF:${padded(a, b)}:${padded(c, d)}`.toUpperCase(),
    ],
    ['IPv4-mapped with a zone id', `::ffff:${v4}%eth0`],
    ['IPv4-translated, dotted', `::ffff:0:${v4}`],
    ['IPv4-translated, hex words', `::ffff:0:${h1}:${h2}`],
    ['IPv4-translated, expanded', `0:0:0:0:ffff:0:${h1}:${h2}`],
    ['IPv4-compatible, dotted', `::${v4}`],
    ['IPv4-compatible, hex words', `::${h1}:${h2}`],
    ['IPv4-compatible, expanded', `0:0:0:0:0:0:${v4}`],
    ['NAT64 well-known, dotted', `64:ff9b::${v4}`],
    ['NAT64 well-known, hex words upper case', `64:FF9B::${h1}:${h2}`.toUpperCase()],
    ['NAT64 well-known, expanded', `0064:ff9b:0000:0000:0000:0000:${padded(a, b)}:${padded(c, d)}`],
    ['NAT64 local-use /96, dotted', `64:ff9b:1::${v4}`],
    ['NAT64 local-use /96, hex words', `64:ff9b:1::${h1}:${h2}`],
    ['NAT64 local-use /48 layout', `64:ff9b:1:${word(a, b)}:${word(0, c)}:${word(d, 0)}::`],
    ['NAT64 local-use /56 layout', `64:ff9b:1:${word(0, a)}:${word(0, b)}:${word(c, d)}::`],
    ['NAT64 local-use /64 layout', `64:ff9b:1:0:${word(0, a)}:${word(b, c)}:${word(d, 0)}:0`],
    ['6to4', `2002:${h1}:${h2}::1`],
    ['6to4, expanded upper case', `2002:${h1}:${h2}:0:0:0:0:1`.toUpperCase()],
    ['Teredo', `2001:0:4136:e378:8000:63bf:${x1}:${x2}`],
    ['Teredo, compressed upper case', `2001::${x1}:${x2}`.toUpperCase()],
    ['ISATAP', `2600:1f18::5efe:${v4}`],
    ['ISATAP, universal bit', `2600:1f18::200:5efe:${h1}:${h2}`],
  ];
}

describe('IPv6 forms of IPv4 addresses', () => {
  const refused: Array<[string, string]> = [
    ['10.0.0.1', 'a private network address'],
    ['127.0.0.1', 'a loopback address'],
    ['169.254.169.254', 'a link-local address'],
    ['192.168.1.1', 'a private network address'],
  ];
  const refusedCases = refused.flatMap(([v4, label]) =>
    ipv6Forms(v4).map(([form, address]) => [v4, form, address, label] as const),
  );
  const allowedCases = ['8.8.8.8', '93.184.216.34'].flatMap((v4) =>
    ipv6Forms(v4).map(([form, address]) => [v4, form, address] as const),
  );

  it.each(refusedCases)('refuses %s as %s (%s)', async (_v4, _form, address, label) => {
    expect(blockedAddressReason(address)).toBe(`${label} (in IPv6 form)`);
    // As a literal host, in brackets, and as the AAAA answer for a name.
    const resolver = fakeResolver({ 'mail.example.com': [address] });
    for (const host of [address, `[${address}]`, 'mail.example.com']) {
      const err = await guardError(
        resolveAllowedHost(host, 587, { allowPrivateHosts: false, resolver }),
      );
      expect(err.code).toBe('SMTP_HOST_NOT_ALLOWED');
      expect(err.message).toContain(`${label} (in IPv6 form)`);
    }
    // The address is not echoed for a name: that would map internal DNS.
    const named = await guardError(
      resolveAllowedHost('mail.example.com', 587, { allowPrivateHosts: false, resolver }),
    );
    expect(named.message).not.toContain(address);
  });

  it.each(allowedCases)('allows %s as %s (%s)', async (_v4, _form, address) => {
    expect(blockedAddressReason(address)).toBeUndefined();
    const resolver = fakeResolver({ 'mail.example.com': [address] });
    await expect(
      resolveAllowedHost('mail.example.com', 587, { allowPrivateHosts: false, resolver }),
    ).resolves.toMatchObject({ address, family: 6, servername: 'mail.example.com' });
    await expect(
      resolveAllowedHost(`[${address}]`, 587, { allowPrivateHosts: false, resolver }),
    ).resolves.toMatchObject({ host: address.toLowerCase(), family: 6 });
  });

  it('lets every form through when private hosts are allowed', async () => {
    for (const [, address] of ipv6Forms('10.0.0.1')) {
      await expect(
        resolveAllowedHost(address, 2525, { allowPrivateHosts: true }),
      ).resolves.toMatchObject({ family: 6 });
    }
  });

  it.each([
    ['the bare local-use NAT64 prefix', '64:ff9b:1::', 'an unspecified address (in IPv6 form)'],
    ['an address outside global unicast', '4000::1', 'a reserved address'],
    [
      'a NAT64 prefix that is neither /96 nor local use',
      '64:ff9b:2::808:808',
      'a reserved address',
    ],
  ])('refuses %s (%s)', (_what, address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });
});

describe('ipv6Bytes', () => {
  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['fe80::1', 'fe800000000000000000000000000001'],
    ['::ffff:127.0.0.1', '00000000000000000000ffff7f000001'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['::10.0.0.1', '0000000000000000000000000a000001'],
    ['::FFFF:0:10.0.0.1', '0000000000000000ffff00000a000001'],
  ])('parses %s', (address, hex) => {
    expect(Buffer.from(ipv6Bytes(address) as Uint8Array).toString('hex')).toBe(hex);
  });

  it('returns undefined for a non-IPv6 value', () => {
    expect(ipv6Bytes('127.0.0.1')).toBeUndefined();
  });
});

describe('normalizeHost', () => {
  it('strips IPv6 brackets and lower-cases', () => {
    expect(normalizeHost('[FE80::1]')).toBe('fe80::1');
    expect(normalizeHost(' Mail.Example.COM ')).toBe('mail.example.com');
  });
});
