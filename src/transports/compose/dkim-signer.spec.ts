import type { DNSResolver } from 'mailauth';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { generateDkimKeyPair, type SenderDomainKey } from '../../sender-domains/dkim-keys';
import { composeMessage } from './dkim-signing';

const domain = 'news.acme.example';
const selector = 'rn1';

describe('signDkim', () => {
  let sender: SenderDomainKey;
  let resolver: DNSResolver;

  beforeAll(async () => {
    const keys = await generateDkimKeyPair();
    sender = { domain, selector, privateKeyPem: keys.privateKeyPem, status: 'verified' };
    resolver = async (name, rrtype) => {
      if (name === `${selector}._domainkey.${domain}` && rrtype === 'TXT')
        return [[`v=DKIM1; k=rsa; p=${keys.publicKey}`]];
      throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
    };
  });

  const compose = (headers: Record<string, string> = {}, text = 'Hello\n') =>
    composeMessage(
      {
        from: { name: 'Acme News', address: `hello@${domain}` },
        to: 'friend@example.org',
        subject:
          'Spring promotion, with a subject long enough to be folded over lines by the composer',
        text,
        html: '<p>Hello</p>',
        headers,
      },
      sender,
    );

  const verdict = async (raw: Buffer) => {
    const result = await dkimVerify(raw, { resolver });
    return result.results.map((r) => r.status.result);
  };

  const signedNames = (raw: Buffer) => {
    const field = /^DKIM-Signature:(.*(?:\r\n[ \t].*)*)/m.exec(raw.toString())?.[1] ?? '';
    const h = /\bh=([^;]*)/.exec(field.replace(/\r\n[ \t]/g, ''))?.[1] ?? '';
    return h.split(':').map((n) => n.trim());
  };

  it('signs the unsubscribe headers and From twice, and the signature verifies', async () => {
    const { raw } = await compose({
      'List-Unsubscribe':
        '<https://notify.example/p/unsubscribe/v1.abc.def>, <mailto:u-x@in.example>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Feedback-ID': 'spring-promo:marketing:prog:referral-notify',
    });
    const names = signedNames(raw);
    expect(names.filter((n) => n === 'from')).toHaveLength(2);
    expect(names).toEqual(
      expect.arrayContaining([
        'list-unsubscribe',
        'list-unsubscribe-post',
        'subject',
        'to',
        'feedback-id',
        'message-id',
      ]),
    );
    expect(await verdict(raw)).toEqual(['pass']);
  });

  it('breaks when a second From is added above the first', async () => {
    const { raw } = await compose();
    const text = raw.toString();
    const at = text.indexOf('\r\nFrom:') + 2;
    const forged = Buffer.from(`${text.slice(0, at)}From: ceo@evil.example\r\n${text.slice(at)}`);
    expect(await verdict(forged)).toEqual(['fail']);
  });

  it('breaks when a List-Unsubscribe header is changed', async () => {
    const { raw } = await compose({
      'List-Unsubscribe': '<https://notify.example/p/unsubscribe/token>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    const changed = Buffer.from(raw.toString().replace('/token>', '/other>'));
    expect(await verdict(changed)).toEqual(['fail']);
  });

  it('verifies bodies with trailing spaces, blank lines at the end and none at all', async () => {
    for (const text of ['line  with   spaces   \n\n\n\n', 'x', ''])
      expect(await verdict((await compose({}, text)).raw)).toEqual(['pass']);
  });
});
