import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyKind = 'secret' | 'publishable';

const PREFIX: Record<KeyKind, string> = { secret: 'sk_', publishable: 'pk_' };

/** A new key with 192 random bits; only its hash is stored. */
export function generateApiKey(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(24).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function keyKindOf(key: string): KeyKind | undefined {
  if (key.startsWith('sk_')) return 'secret';
  if (key.startsWith('pk_')) return 'publishable';
  return undefined;
}

export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
