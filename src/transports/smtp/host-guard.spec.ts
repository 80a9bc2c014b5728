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

describe('ipv6Bytes', () => {
  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['fe80::1', 'fe800000000000000000000000000001'],
    ['::ffff:127.0.0.1', '00000000000000000000ffff7f000001'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
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
