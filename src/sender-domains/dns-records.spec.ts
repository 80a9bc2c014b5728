import { generateDkimKeyPair } from './dkim-keys';
import {
  buildSenderDnsRecords,
  dkimRecordContent,
  formatTxtValue,
  splitTxtValue,
  suggestSpfRecord,
  TXT_STRING_MAX_BYTES,
} from './dns-records';

const platform = { spfInclude: 'spf.notify.example.net', bounceHost: 'bounces.notify.example.net' };

describe('splitTxtValue', () => {
  it('splits a 2048-bit DKIM key value into strings of at most 255 bytes', async () => {
    const { publicKey } = await generateDkimKeyPair();
    const value = dkimRecordContent(publicKey);
    expect(value.length).toBeGreaterThan(255);

    const strings = splitTxtValue(value);
    expect(strings.length).toBe(2);
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(TXT_STRING_MAX_BYTES);
    expect(strings[0]).toHaveLength(255);
    expect(strings.join('')).toBe(value);
  });

  it.each([
    ['a short value', 'v=spf1 include:spf.example.net ~all', 1],
    ['exactly 255 bytes', 'x'.repeat(255), 1],
    ['256 bytes', 'x'.repeat(256), 2],
    ['510 bytes', 'x'.repeat(510), 2],
    ['511 bytes', 'x'.repeat(511), 3],
    ['an empty value', '', 1],
  ])('keeps %s in %i string(s)', (_label, value, count) => {
    const strings = splitTxtValue(value);
    expect(strings).toHaveLength(count);
    expect(strings.join('')).toBe(value);
  });

  it('never cuts a multi-byte character in two', () => {
    const value = `${'x'.repeat(254)}é${'y'.repeat(10)}`;
    const strings = splitTxtValue(value);
    expect(strings).toEqual(['x'.repeat(254), `é${'y'.repeat(10)}`]);
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
  });
});

describe('formatTxtValue', () => {
  it('shows a single string as it is', () => {
    expect(formatTxtValue(['v=spf1 -all'])).toBe('v=spf1 -all');
  });

  it('shows several strings quoted and joined by a space', () => {
    expect(formatTxtValue(['v=DKIM1; k=rsa; p=AAA', 'BBB'])).toBe('"v=DKIM1; k=rsa; p=AAA" "BBB"');
  });

  it('escapes quotes and backslashes inside quoted strings', () => {
    expect(formatTxtValue(['a"b', 'c\\d'])).toBe('"a\\"b" "c\\\\d"');
  });
});

describe('buildSenderDnsRecords', () => {
  it('lists DKIM and SPF as required, return-path and DMARC as recommended', async () => {
    const { publicKey } = await generateDkimKeyPair();
    const records = buildSenderDnsRecords(
      { domain: 'mail.acme.example', selector: 'rn202507', publicKey },
      platform,
    );

    expect(records.map((r) => [r.purpose, r.type, r.name, r.required])).toEqual([
      ['dkim', 'TXT', 'rn202507._domainkey.mail.acme.example', true],
      ['spf', 'TXT', 'mail.acme.example', true],
      ['return-path', 'CNAME', 'bounces.mail.acme.example', false],
      ['dmarc', 'TXT', '_dmarc.mail.acme.example', false],
    ]);

    const [dkim, spf, returnPath, dmarc] = records;
    expect(dkim.content).toBe(`v=DKIM1; k=rsa; p=${publicKey}`);
    expect(dkim.strings?.join('')).toBe(dkim.content);
    expect(dkim.value).toBe(`"${dkim.strings?.[0]}" "${dkim.strings?.[1]}"`);
    expect(spf.value).toBe('v=spf1 include:spf.notify.example.net ~all');
    expect(returnPath.value).toBe('bounces.notify.example.net');
    expect(dmarc.value).toBe('v=DMARC1; p=none; rua=mailto:dmarc-reports@mail.acme.example');
  });

  it('takes the return-path label and DMARC report address from the platform settings', () => {
    const records = buildSenderDnsRecords(
      { domain: 'acme.example', selector: 's1', publicKey: 'AAAA' },
      {
        spfInclude: 'SPF.Notify.Example.NET.',
        bounceHost: 'rp.notify.example.net.',
        returnPathLabel: 'rp',
        dmarcReportAddress: 'dmarc@notify.example.net',
      },
    );
    expect(records.find((r) => r.purpose === 'spf')?.content).toBe(
      'v=spf1 include:spf.notify.example.net ~all',
    );
    expect(records.find((r) => r.purpose === 'return-path')).toMatchObject({
      name: 'rp.acme.example',
      content: 'rp.notify.example.net',
    });
    expect(records.find((r) => r.purpose === 'dmarc')?.content).toContain(
      'rua=mailto:dmarc@notify.example.net',
    );
  });
});

describe('suggestSpfRecord', () => {
  it.each([
    [undefined, 'v=spf1 include:spf.x.net ~all'],
    ['google-site-verification=abc', 'v=spf1 include:spf.x.net ~all'],
    [
      'v=spf1 include:_spf.google.com ~all',
      'v=spf1 include:_spf.google.com include:spf.x.net ~all',
    ],
    ['v=spf1 mx -all', 'v=spf1 mx include:spf.x.net -all'],
    [
      'v=spf1 a redirect=_spf.acme.example',
      'v=spf1 a include:spf.x.net redirect=_spf.acme.example',
    ],
    ['v=spf1 mx', 'v=spf1 mx include:spf.x.net'],
    ['v=spf1  include:spf.x.net   ~all', 'v=spf1 include:spf.x.net ~all'],
  ])('turns %j into %j', (existing, expected) => {
    expect(suggestSpfRecord(existing, 'spf.x.net')).toBe(expected);
  });
});
