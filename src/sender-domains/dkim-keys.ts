import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import type Mail from 'nodemailer/lib/mailer';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DKIM_KEY_BITS = 2048;

/** Key material for one sender domain. The private key is stored encrypted and never returned. */
export interface DkimKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** Base64 DER SubjectPublicKeyInfo: the `p=` value of the DKIM record. */
  publicKey: string;
}

export async function generateDkimKeyPair(): Promise<DkimKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: DKIM_KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKey: publicKey.toString('base64') };
}

/** The `p=` value for a stored private key, so a record can be rebuilt without storing both halves. */
export function dkimPublicKeyFromPrivate(privateKeyPem: string): string {
  const der = createPublicKey(createPrivateKey(privateKeyPem)).export({
    type: 'spki',
    format: 'der',
  });
  return der.toString('base64');
}

const SELECTOR_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export function isValidDkimSelector(selector: string): boolean {
  return SELECTOR_PATTERN.test(selector);
}

/**
 * `rn` + UTC yyyymm (`rn202507`), which tells a person reading DNS when the key was made.
 * A second key in the same month (rotation) gets a short random suffix.
 */
export function createDkimSelector(now: Date = new Date(), taken: readonly string[] = []): string {
  const base = `rn${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const used = new Set(taken.map((s) => s.toLowerCase()));
  let selector = base;
  while (used.has(selector)) selector = `${base}${randomBytes(2).toString('hex')}`;
  return selector;
}

export class InvalidSenderDomainError extends Error {
  readonly code = 'SENDER_DOMAIN_INVALID';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`"${input}" is not a domain that can send email: ${reason}`);
    this.name = 'InvalidSenderDomainError';
  }
}

// Leaves room for `<selector>._domainkey.` in front of the domain within the 253-character limit.
export const MAX_SENDER_DOMAIN_LENGTH = 253 - '._domainkey.'.length - 32;

const LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Lowercase ASCII (punycode) form of a sender domain, without the trailing dot.
 * Throws InvalidSenderDomainError with a reason a person can act on.
 */
export function normalizeSenderDomain(input: string): string {
  const fail = (reason: string): never => {
    throw new InvalidSenderDomainError(input, reason);
  };
  let value = input.trim();
  if (value === '') fail('the domain is empty');
  if (value.includes('@')) fail('enter only the domain part of the address, e.g. example.com');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes('/'))
    fail('enter a domain, not a URL');
  if (/\s/.test(value)) fail('a domain cannot contain spaces');
  if (value.startsWith('[') || isIP(value) !== 0) fail('an IP address cannot be a sender domain');
  // One trailing dot is the fully qualified spelling of the same name.
  if (value.endsWith('.')) value = value.slice(0, -1);
  if (value === '' || value.startsWith('.') || value.endsWith('.') || value.includes('..'))
    fail('the domain has an empty label');

  const ascii = domainToASCII(value.toLowerCase());
  if (ascii === '') fail('the domain contains characters that are not allowed');
  if (isIP(ascii) !== 0) fail('an IP address cannot be a sender domain');
  if (ascii.length > MAX_SENDER_DOMAIN_LENGTH)
    fail(`the domain is longer than ${MAX_SENDER_DOMAIN_LENGTH} characters`);

  const labels = ascii.split('.');
  if (labels.length < 2) fail('use a registered domain such as example.com, not a single name');
  for (const label of labels) {
    if (label.length > 63) fail(`the label "${label}" is longer than 63 characters`);
    if (!LABEL_PATTERN.test(label)) {
      fail(`the label "${label}" may hold only letters, digits and inner hyphens`);
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1])) fail('the top-level domain cannot be numeric');
  return ascii;
}

/** A program's custom From domain with its key, as the built-in sender needs it. */
export interface SenderDomainKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  status: 'pending' | 'verified' | 'failed';
}

/** The domain of a From value (`a@b.com`, `"Name" <a@b.com>` or an address object), normalised. */
export function fromAddressDomain(from: Mail.Options['from']): string | undefined {
  // nodemailer 10 also takes a list; only a list of exactly one From names one domain.
  if (Array.isArray(from)) return from.length === 1 ? fromAddressDomain(from[0]) : undefined;
  const address =
    typeof from === 'string' ? addressparser(from, { flatten: true })[0]?.address : from?.address;
  const at = address?.lastIndexOf('@') ?? -1;
  if (!address || at === -1) return undefined;
  try {
    return normalizeSenderDomain(address.slice(at + 1));
  } catch (err) {
    if (err instanceof InvalidSenderDomainError) return undefined;
    throw err;
  }
}
