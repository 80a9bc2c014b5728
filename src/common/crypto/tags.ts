import { randomBytes } from 'node:crypto';

// Lower-case base32 without padding: safe in any mailbox name, and case-insensitive as local
// parts often are on the way back.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const TAG_LENGTH = 20;

/** 100 random bits: nobody can guess another message's return path, or a program's address. */
export function newTag(): string {
  const bytes = randomBytes(TAG_LENGTH);
  let tag = '';
  for (const b of bytes) tag += ALPHABET[b & 31];
  return tag;
}
