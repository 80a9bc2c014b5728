import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Fixed HKDF context: a different purpose must use a different `info`, so keys never overlap.
const HKDF_SALT = Buffer.from('referral-notify/secret-box');
const HKDF_INFO = Buffer.from('aes-256-gcm/v1');
const MIN_SECRET_LENGTH = 32;

export type SecretBoxErrorCode =
  'SECRET_MALFORMED' | 'SECRET_UNSUPPORTED_VERSION' | 'SECRET_KEY_UNKNOWN' | 'SECRET_AUTH_FAILED';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

interface DerivedKey {
  id: string;
  key: Buffer;
}

function deriveKey(secret: string): DerivedKey {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`APP_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, 32),
  );
  // A short public fingerprint of the key, so a value sealed under another APP_SECRET is named as such.
  const id = createHmac('sha256', key)
    .update('key-id')
    .digest()
    .subarray(0, 6)
    .toString('base64url');
  return { id, key };
}

function additionalData(keyId: string, context: string): Buffer {
  // The header is bound too, so the version or key id cannot be swapped on a sealed value.
  return Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8');
}

/**
 * AES-256-GCM for credentials stored at rest. The key is derived from APP_SECRET; every value is
 * bound to a context (the program id), so a value copied to another program does not open.
 *
 * Format: `v1.<key id>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export class SecretBox {
  private readonly current: DerivedKey;
  private readonly keys: Map<string, DerivedKey>;

  /** `previousSecrets` still open old values after APP_SECRET is rotated; new values use `secret`. */
  constructor(secret: string, previousSecrets: readonly string[] = []) {
    this.current = deriveKey(secret);
    this.keys = new Map([this.current, ...previousSecrets.map(deriveKey)].map((k) => [k.id, k]));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(this.current.id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.current.id, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (/^v\d+$/.test(parts[0]) && parts[0] !== VERSION) {
      throw new SecretBoxError(
        'SECRET_UNSUPPORTED_VERSION',
        `Stored secret uses unsupported format ${parts[0]}.`,
      );
    }
    if (parts.length !== 5 || parts[0] !== VERSION) {
      throw new SecretBoxError('SECRET_MALFORMED', 'Stored secret is not in a recognised format.');
    }
    const [, keyId, ivText, ciphertextText, tagText] = parts;
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('SECRET_MALFORMED', 'Stored secret is not in a recognised format.');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        'SECRET_KEY_UNKNOWN',
        'Stored secret was encrypted with a different APP_SECRET; add that APP_SECRET to APP_SECRET_PREVIOUS (or set it back as APP_SECRET), or enter the credential again.',
      );
    }
    const decipher = createDecipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertextText, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'SECRET_AUTH_FAILED',
        'Stored secret could not be decrypted: it was altered, or it belongs to another program.',
      );
    }
  }

  /** True when the value was sealed with an older key and should be sealed again. */
  needsReseal(sealed: string): boolean {
    return sealed.split('.')[1] !== this.current.id;
  }
}
