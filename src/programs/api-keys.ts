import { generateToken, sha256Hex } from '../common/crypto/tokens';

export type KeyKind = 'secret' | 'publishable';

const PREFIX: Record<KeyKind, string> = { secret: 'sk_', publishable: 'pk_' };

/** A new key with 192 random bits; only its hash is stored. */
export function generateApiKey(kind: KeyKind): string {
  return generateToken(PREFIX[kind], 24);
}

export const hashApiKey = sha256Hex;

export function keyKindOf(key: string): KeyKind | undefined {
  if (key.startsWith('sk_')) return 'secret';
  if (key.startsWith('pk_')) return 'publishable';
  return undefined;
}
