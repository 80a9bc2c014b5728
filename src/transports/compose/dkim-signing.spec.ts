import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { DNSResolver } from 'mailauth';
import { promises as dns } from 'node:dns';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsTestServer } from '../../../test/support/dns-test-server';
import {
  fromAddressDomain,
  generateDkimKeyPair,
  type SenderDomainKey,
} from '../../sender-domains/dkim-keys';
import { buildSenderDnsRecords } from '../../sender-domains/dns-records';
import { DnsVerifier } from '../../sender-domains/dns-verifier';
import { composeMessage, dkimOptionsFor, SenderDomainSigningError } from './dkim-signing';
import { EmlWriter } from '../drivers/eml-writer';

const domain = 'acme-referrals.example';
const platform = { spfInclude: 'spf.notify.example.net', bounceHost: 'bounces.notify.example.net' };

const mail = {
  from: '"Acme Rewards" <rewards@acme-referrals.example>',
  to: 'friend@example.org',
  subject: 'You earned a reward',
  text: 'Thanks for referring a friend.\nYour reward is on its way.\n',
  html: '<p>Thanks for referring a friend.</p>',
};

function signingError(fn: () => unknown): SenderDomainSigningError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SenderDomainSigningError) return err;
    throw err;
  }
  throw new Error('expected a SenderDomainSigningError');
}

describe('DKIM signing for a verified sender domain', () => {
  let server: DnsTestServer;
  let resolver: DNSResolver;
  let sender: SenderDomainKey;

  beforeAll(async () => {
    server = await DnsTestServer.start();
    const lookup = new dns.Resolver({ timeout: 500, tries: 1 });
    lookup.setServers([server.address]);
    resolver = (name, rrtype) => lookup.resolve(name, rrtype) as Promise<string[][] | string[]>;

    const keys = await generateDkimKeyPair();
    const records = buildSenderDnsRecords(
      { domain, selector: 'rn202507', publicKey: keys.publicKey },
      platform,
    );
    server.publish(records);
    const verification = await new DnsVerifier({ servers: [server.address] }).verify(records);
    sender = {
      domain,
      selector: 'rn202507',
      privateKeyPem: keys.privateKeyPem,
      status: verification.status,
    };
  });

  afterAll(async () => {
    await server.stop();
  });

  it('signs with d= the domain, and the signature verifies against the published key', async () => {
    expect(sender.status).toBe('verified');
    const message = await composeMessage(mail, sender);
    const raw = message.raw.toString();
    const signature = /^DKIM-Signature: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
    expect(signature).toMatch(/\bd=acme-referrals\.example;/);
    expect(signature).toMatch(/\bs=rn202507;/);
    expect(raw).not.toMatch(/(?<!\r)\n/);
    expect(raw).not.toContain('PRIVATE KEY');

    const result = await dkimVerify(message.raw, { resolver });
    expect(result.results).toHaveLength(1);
    expect(result.results[0].status.result).toBe('pass');
    expect(result.results[0].signingDomain).toBe(domain);
    expect(result.results[0].selector).toBe('rn202507');
    expect(result.results[0].status.aligned).toBe(domain);
  });

  it('keeps the signature valid through the .eml file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dkim-eml-'));
    try {
      const writer = new EmlWriter(dir);
      const message = await composeMessage(mail, sender);
      await writer.write('prog_1', 'msg_1', message.raw);
      const stored = await writer.read('prog_1', 'msg_1');
      expect(stored).not.toBeNull();
      const result = await dkimVerify(stored!, { resolver });
      expect(result.results[0].status.result).toBe('pass');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no longer verifies once the body is changed', async () => {
    const message = await composeMessage(mail, sender);
    const tampered = Buffer.from(
      message.raw.toString().replace('Your reward is on its way.', 'Your reward is cancelled.'),
    );
    const result = await dkimVerify(tampered, { resolver });
    expect(result.results[0].status.result).not.toBe('pass');
  });

  it('does not verify with a key other than the published one', async () => {
    const other = await generateDkimKeyPair();
    const message = await composeMessage(mail, { ...sender, privateKeyPem: other.privateKeyPem });
    const result = await dkimVerify(message.raw, { resolver });
    expect(result.results[0].status.result).toBe('fail');
  });

  it('refuses to sign for a domain that is not verified', async () => {
    for (const status of ['pending', 'failed'] as const) {
      const error = signingError(() => dkimOptionsFor({ ...sender, status }));
      expect(error.code).toBe('SENDER_DOMAIN_NOT_VERIFIED');
      await expect(composeMessage(mail, { ...sender, status })).rejects.toMatchObject({
        code: 'SENDER_DOMAIN_NOT_VERIFIED',
      });
    }
  });

  it('refuses a From address outside the verified domain', async () => {
    await expect(
      composeMessage({ ...mail, from: 'rewards@other.example' }, sender),
    ).rejects.toMatchObject({
      code: 'FROM_DOMAIN_MISMATCH',
      message: 'the From address must be at acme-referrals.example, not other.example',
    });
    await expect(
      composeMessage({ ...mail, from: 'rewards@sub.acme-referrals.example' }, sender),
    ).rejects.toMatchObject({
      code: 'FROM_DOMAIN_MISMATCH',
    });
    await expect(composeMessage({ ...mail, from: undefined }, sender)).rejects.toMatchObject({
      code: 'FROM_DOMAIN_MISMATCH',
    });
  });

  it('gives the nodemailer options without exposing more than the key it needs', () => {
    expect(Object.keys(dkimOptionsFor(sender)).sort()).toEqual([
      'domainName',
      'keySelector',
      'privateKey',
    ]);
    expect(dkimOptionsFor(sender)).toMatchObject({ domainName: domain, keySelector: 'rn202507' });
  });

  it('composes an unsigned message without a sender domain, ignoring a dkim option passed along', async () => {
    const message = await composeMessage({
      ...mail,
      from: 'notifications@localhost',
      dkim: { domainName: domain, keySelector: 'rn202507', privateKey: sender.privateKeyPem },
    });
    expect(message.raw.toString()).not.toMatch(/^DKIM-Signature:/m);
    expect(message.raw.toString()).not.toMatch(/(?<!\r)\n/);
    expect(message.messageId).toMatch(/^<.+@.+>$/);
    expect(message.envelope).toEqual({
      from: 'notifications@localhost',
      to: ['friend@example.org'],
    });
  });
});

describe(fromAddressDomain.name, () => {
  it.each([
    ['rewards@Acme-Referrals.Example', 'acme-referrals.example'],
    ['"Acme, Inc." <rewards@acme-referrals.example>', 'acme-referrals.example'],
    ['news@bücher.example', 'xn--bcher-kva.example'],
    [{ name: 'Acme', address: 'a@acme-referrals.example' }, 'acme-referrals.example'],
    ['no-at-sign', undefined],
    ['user@[192.0.2.1]', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (from, expected) => {
    expect(fromAddressDomain(from)).toBe(expected);
  });
});
