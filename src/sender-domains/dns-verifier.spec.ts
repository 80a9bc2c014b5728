import { DnsTestServer } from '../../test/support/dns-test-server';
import { generateDkimKeyPair } from './dkim-keys';
import {
  buildSenderDnsRecords,
  dkimRecordContent,
  SenderDnsRecord,
  splitTxtValue,
} from './dns-records';
import { DnsVerifier, parseDnsServers, SenderDomainVerification } from './dns-verifier';

const domain = 'acme-referrals.example';
const platform = { spfInclude: 'spf.notify.example.net', bounceHost: 'bounces.notify.example.net' };

function byPurpose(result: SenderDomainVerification, purpose: SenderDnsRecord['purpose']) {
  const record = result.records.find((r) => r.purpose === purpose);
  if (!record) throw new Error(`no ${purpose} record`);
  return record;
}

function summary(result: SenderDomainVerification) {
  return {
    status: result.status,
    records: Object.fromEntries(result.records.map((r) => [r.purpose, r.status])),
  };
}

describe(DnsVerifier.name, () => {
  let dns: DnsTestServer;
  let verifier: DnsVerifier;
  let records: SenderDnsRecord[];
  let otherPublicKey: string;

  beforeAll(async () => {
    dns = await DnsTestServer.start();
    verifier = new DnsVerifier({ servers: [dns.address], timeoutMs: 500, tries: 1 });
    const [pair, other] = await Promise.all([generateDkimKeyPair(), generateDkimKeyPair()]);
    records = buildSenderDnsRecords(
      { domain, selector: 'rn202507', publicKey: pair.publicKey },
      platform,
    );
    otherPublicKey = other.publicKey;
  });

  afterAll(async () => {
    await dns.stop();
  });

  beforeEach(() => {
    dns.replace({});
    dns.clearFailure();
  });

  const required = () => records.filter((r) => r.required);
  const record = (purpose: SenderDnsRecord['purpose']) =>
    records.find((r) => r.purpose === purpose)!;

  it('reports every record pending before anything is published, then verified once it is', async () => {
    const before = await verifier.verify(records);
    expect(summary(before)).toEqual({
      status: 'pending',
      records: { dkim: 'pending', spf: 'pending', 'return-path': 'pending', dmarc: 'pending' },
    });
    expect(byPurpose(before, 'dkim')).toMatchObject({ code: 'RECORD_MISSING', found: [] });
    expect(byPurpose(before, 'dkim').reason).toContain(
      'rn202507._domainkey.acme-referrals.example',
    );

    dns.publish(records);
    const after = await verifier.verify(records);
    expect(summary(after)).toEqual({
      status: 'verified',
      records: { dkim: 'verified', spf: 'verified', 'return-path': 'verified', dmarc: 'verified' },
    });
    expect(byPurpose(after, 'dkim').found).toEqual([record('dkim').content]);
    expect(byPurpose(after, 'return-path').found).toEqual(['bounces.notify.example.net']);
  });

  it('verifies the domain on DKIM and SPF alone, the recommended records still pending', async () => {
    dns.publish(required());
    const result = await verifier.verify(records);
    expect(summary(result)).toEqual({
      status: 'verified',
      records: { dkim: 'verified', spf: 'verified', 'return-path': 'pending', dmarc: 'pending' },
    });
  });

  it('stays pending while only some required records are published', async () => {
    dns.publish([record('dkim')]);
    const result = await verifier.verify(records);
    expect(summary(result).status).toBe('pending');
    expect(byPurpose(result, 'dkim').status).toBe('verified');
    expect(byPurpose(result, 'spf').status).toBe('pending');
  });

  it('matches a DKIM key split into strings at other boundaries', async () => {
    dns.publish([
      { ...record('dkim'), strings: splitTxtValue(record('dkim').content, 100) },
      record('spf'),
    ]);
    expect((await verifier.verify(records)).status).toBe('verified');
  });

  it('fails a DKIM record that holds another key', async () => {
    dns.publish([record('spf')]);
    dns.set(record('dkim').name, { TXT: [splitTxtValue(dkimRecordContent(otherPublicKey))] });
    const result = await verifier.verify(records);
    expect(result.status).toBe('failed');
    expect(byPurpose(result, 'dkim')).toMatchObject({
      status: 'failed',
      code: 'VALUE_MISMATCH',
      found: [dkimRecordContent(otherPublicKey)],
    });
    expect(byPurpose(result, 'dkim').reason).toContain("does not hold this domain's public key");
  });

  it('says so when the DKIM value was entered with its quotes', async () => {
    dns.publish([record('spf')]);
    dns.set(record('dkim').name, { TXT: [splitTxtValue(record('dkim').value)] });
    const result = await verifier.verify(records);
    expect(byPurpose(result, 'dkim')).toMatchObject({ status: 'failed', code: 'VALUE_MISMATCH' });
    expect(byPurpose(result, 'dkim').reason).toContain('quote characters');
  });

  it('fails an SPF record without the include and suggests the merged record', async () => {
    dns.publish([record('dkim')]);
    dns.set(domain, {
      TXT: ['v=spf1 include:_spf.google.com ~all', 'google-site-verification=abc'],
    });
    const result = await verifier.verify(records);
    expect(result.status).toBe('failed');
    expect(byPurpose(result, 'spf')).toMatchObject({
      status: 'failed',
      code: 'VALUE_MISMATCH',
      found: ['v=spf1 include:_spf.google.com ~all'],
    });
    expect(byPurpose(result, 'spf').reason).toContain(
      'change it to: v=spf1 include:_spf.google.com include:spf.notify.example.net ~all',
    );
  });

  it('accepts an SPF record that includes the platform among other mechanisms, in any case', async () => {
    dns.publish([record('dkim')]);
    dns.set(domain, {
      TXT: ['v=spf1 mx INCLUDE:Spf.Notify.Example.Net. include:_spf.google.com -all'],
    });
    expect(byPurpose(await verifier.verify(records), 'spf').status).toBe('verified');
  });

  it('reads a TXT set too large for one UDP answer (the resolver retries over TCP)', async () => {
    dns.publish([record('dkim')]);
    const verifications = Array.from(
      { length: 6 },
      (_, i) => `site-verification-${i}=${'x'.repeat(90)}`,
    );
    dns.set(domain, { TXT: [...verifications, record('spf').content] });
    const spf = byPurpose(await verifier.verify(records), 'spf');
    expect(spf).toMatchObject({ status: 'verified', found: [record('spf').content] });
  });

  it('fails a domain with two SPF records', async () => {
    dns.publish(required());
    dns.set(domain, { TXT: [record('spf').content, 'v=spf1 include:_spf.google.com ~all'] });
    const spf = byPurpose(await verifier.verify(records), 'spf');
    expect(spf).toMatchObject({ status: 'failed', code: 'MULTIPLE_RECORDS' });
    expect(spf.found).toHaveLength(2);
  });

  it('keeps SPF pending when the domain has only other TXT records', async () => {
    dns.set(domain, { TXT: ['google-site-verification=abc'] });
    const spf = byPurpose(await verifier.verify(records), 'spf');
    expect(spf).toMatchObject({ status: 'pending', code: 'RECORD_MISSING', found: [] });
  });

  it('fails a return-path CNAME that points elsewhere without failing the domain', async () => {
    dns.publish(required());
    dns.set(record('return-path').name, { CNAME: 'bounces.elsewhere.example' });
    const result = await verifier.verify(records);
    expect(result.status).toBe('verified');
    expect(byPurpose(result, 'return-path')).toMatchObject({
      status: 'failed',
      code: 'VALUE_MISMATCH',
      found: ['bounces.elsewhere.example'],
    });
  });

  it('keeps the return-path pending when the name holds records of another type', async () => {
    dns.set(record('return-path').name, { A: ['192.0.2.10'] });
    expect(byPurpose(await verifier.verify(records), 'return-path')).toMatchObject({
      status: 'pending',
    });
  });

  it('fails a record with a reason when the DNS server answers SERVFAIL', async () => {
    dns.publish(records);
    dns.fail(record('dkim').name, 'servfail');
    const result = await verifier.verify(records);
    expect(result.status).toBe('failed');
    expect(byPurpose(result, 'dkim')).toMatchObject({
      status: 'failed',
      code: 'LOOKUP_FAILED',
      found: [],
    });
    expect(byPurpose(result, 'dkim').reason).toContain('SERVFAIL');
    expect(byPurpose(result, 'spf').status).toBe('verified');
  });

  it('fails a record with a reason when the DNS server does not answer in time', async () => {
    dns.publish(records);
    dns.fail(domain, 'drop');
    const started = Date.now();
    const result = await new DnsVerifier({
      servers: [dns.address],
      timeoutMs: 200,
      tries: 1,
    }).verify(records);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(byPurpose(result, 'spf')).toMatchObject({ status: 'failed', code: 'LOOKUP_FAILED' });
    expect(byPurpose(result, 'spf').reason).toContain('timed out');
    expect(byPurpose(result, 'dkim').status).toBe('verified');
  });

  it('fails with a reason when the DNS server refuses the query', async () => {
    dns.fail(record('dmarc').name, 'refused');
    const dmarc = byPurpose(await verifier.verify(records), 'dmarc');
    expect(dmarc).toMatchObject({ status: 'failed', code: 'LOOKUP_FAILED' });
    expect(dmarc.reason).toContain('refused');
  });

  it('accepts any DMARC policy of the domain, not only the suggested one', async () => {
    dns.set(record('dmarc').name, {
      TXT: ['v=DMARC1; p=reject; rua=mailto:d@acme-referrals.example'],
    });
    expect(byPurpose(await verifier.verify(records), 'dmarc').status).toBe('verified');
  });
});

describe(parseDnsServers.name, () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [' , ', undefined],
    ['1.1.1.1', ['1.1.1.1']],
    ['127.0.0.1:5353, 8.8.8.8', ['127.0.0.1:5353', '8.8.8.8']],
    ['::1', ['::1']],
    ['[::1]:5353', ['[::1]:5353']],
  ])('reads %j as %j', (value, expected) => {
    expect(parseDnsServers(value)).toEqual(expected);
  });

  it.each(['dns.google', '1.1.1.1:0', '1.1.1.1:70000', '[1.1.1.1]:53', '1.1.1'])(
    'rejects %j',
    (value) => {
      expect(() => parseDnsServers(value)).toThrow(`DNS_SERVERS entry "${value}"`);
    },
  );
});
