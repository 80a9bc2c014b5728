import type { SenderDnsRecordCheck, SenderDomainVerification } from './dns-verifier';
import { nextDomainStatus } from './sender-domain.service';

const record = (
  purpose: SenderDnsRecordCheck['purpose'],
  status: SenderDnsRecordCheck['status'],
  code?: SenderDnsRecordCheck['code'],
  required = true,
): SenderDnsRecordCheck => ({
  purpose,
  type: 'TXT',
  name: `${purpose}.example.com`,
  value: 'v',
  content: 'v',
  required,
  status,
  found: [],
  ...(code ? { code } : {}),
});

const result = (
  status: SenderDomainVerification['status'],
  records: SenderDnsRecordCheck[],
): SenderDomainVerification => ({ status, records, checkedAt: new Date() });

describe('nextDomainStatus', () => {
  it('keeps a verified domain verified when the only failures are DNS outages', () => {
    expect(
      nextDomainStatus(
        'verified',
        result('failed', [record('dkim', 'failed', 'LOOKUP_FAILED'), record('spf', 'verified')]),
      ),
    ).toBe('verified');
  });

  it('fails a verified domain whose record now holds another value', () => {
    expect(
      nextDomainStatus(
        'verified',
        result('failed', [
          record('dkim', 'failed', 'LOOKUP_FAILED'),
          record('spf', 'failed', 'VALUE_MISMATCH'),
        ]),
      ),
    ).toBe('failed');
  });

  it('takes a removed record of a verified domain back to pending', () => {
    expect(
      nextDomainStatus(
        'verified',
        result('pending', [record('dkim', 'pending', 'RECORD_MISSING'), record('spf', 'verified')]),
      ),
    ).toBe('pending');
  });

  it('does not verify a pending domain during an outage', () => {
    expect(
      nextDomainStatus(
        'pending',
        result('failed', [record('dkim', 'failed', 'LOOKUP_FAILED'), record('spf', 'verified')]),
      ),
    ).toBe('failed');
  });

  it('ignores recommended records', () => {
    expect(
      nextDomainStatus(
        'pending',
        result('verified', [
          record('dkim', 'verified'),
          record('spf', 'verified'),
          record('dmarc', 'pending', 'RECORD_MISSING', false),
        ]),
      ),
    ).toBe('verified');
  });
});
