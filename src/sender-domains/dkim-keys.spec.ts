import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  createDkimSelector,
  dkimPublicKeyFromPrivate,
  generateDkimKeyPair,
  InvalidSenderDomainError,
  isValidDkimSelector,
  normalizeSenderDomain,
} from './dkim-keys';

describe('generateDkimKeyPair', () => {
  it('makes a 2048-bit RSA pair: PKCS#8 PEM private key, base64 DER SPKI public key', async () => {
    const pair = await generateDkimKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const publicKey = createPublicKey({
      key: Buffer.from(pair.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(publicKey.asymmetricKeyType).toBe('rsa');
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPrivateKey(pair.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('derives the same public key from the stored private key', async () => {
    const pair = await generateDkimKeyPair();
    expect(dkimPublicKeyFromPrivate(pair.privateKeyPem)).toBe(pair.publicKey);
  });
});

describe('createDkimSelector', () => {
  it('names the selector after the UTC month', () => {
    expect(createDkimSelector(new Date('2025-07-31T23:30:00-05:00'))).toBe('rn202508');
    expect(createDkimSelector(new Date('2025-01-15T12:00:00Z'))).toBe('rn202501');
  });

  it('adds a short suffix when the month selector is taken', () => {
    const selector = createDkimSelector(new Date('2025-07-01T00:00:00Z'), ['rn202507']);
    expect(selector).toMatch(/^rn202507[0-9a-f]{4}$/);
    expect(isValidDkimSelector(selector)).toBe(true);
  });

  it.each([
    ['rn202507', true],
    ['s1', true],
    ['-bad', false],
    ['has_underscore', false],
    ['has.dot', false],
    ['', false],
  ])('treats %j as valid: %s', (selector, valid) => {
    expect(isValidDkimSelector(selector)).toBe(valid);
  });
});

describe('normalizeSenderDomain', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['  mail.example.com  ', 'mail.example.com'],
    ['example.com.', 'example.com'],
    ['MAIL.Example.Co.UK.', 'mail.example.co.uk'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['例え.jp', 'xn--r8jz45g.jp'],
    ['a-b.example', 'a-b.example'],
    ['123.example.com', '123.example.com'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizeSenderDomain(input)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['.', 'empty label'],
    ['example.com..', 'empty label'],
    ['.example.com', 'empty label'],
    ['example..com', 'empty label'],
    ['localhost', 'single name'],
    ['localhost.', 'single name'],
    ['192.168.1.10', 'IP address'],
    ['10.0.0.1.', 'IP address'],
    ['0x7f.1', 'IP address'],
    ['::1', 'IP address'],
    ['[2001:db8::1]', 'IP address'],
    ['news@example.com', 'domain part'],
    ['https://example.com', 'not a URL'],
    ['example.com/path', 'not a URL'],
    ['exa mple.com', 'spaces'],
    ['-bad.example.com', 'inner hyphens'],
    ['bad-.example.com', 'inner hyphens'],
    ['under_score.example.com', 'letters, digits'],
    ['example.123', 'not allowed'],
    [`${'a'.repeat(64)}.com`, 'longer than 63'],
    [`${'abcdefghi.'.repeat(22)}com`, 'longer than'],
  ])('rejects %j (%s)', (input, reason) => {
    let error: unknown;
    try {
      normalizeSenderDomain(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidSenderDomainError);
    expect((error as InvalidSenderDomainError).code).toBe('SENDER_DOMAIN_INVALID');
    expect((error as Error).message).toContain(reason);
  });
});
