import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const MIN_TOKEN_BYTES = 16;

/**
 * A random token: `prefix` followed by `bytes` random bytes in base64url (default 32 bytes,
 * 256 bits; never fewer than 16). Store only `sha256Hex(token)`.
 */
export function generateToken(prefix = '', bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES) {
    throw new RangeError(`A token needs at least ${MIN_TOKEN_BYTES} random bytes`);
  }
  return prefix + randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two strings in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(a).digest(),
    createHash('sha256').update(b).digest(),
  );
}

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

// OWASP's equivalent of its N=2^17 floor that needs 32 MiB per hash instead of 128 MiB.
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 3 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// Bounds for parameters read back from storage, so a corrupt row cannot make verify hang.
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;
// scrypt cost does not grow with the input, but a bound keeps request bodies honest.
const MAX_PASSWORD_LENGTH = 1024;

// Each derivation holds a libuv thread and ~32 MiB for a third of a second: a burst of sign-ins
// must not take every thread (DNS, file writes) nor the memory. Beyond the queue, say busy.
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_WAITING_HASHES = 64;

/** More password checks were asked for at once than this process takes; try again shortly. */
export class PasswordHashBusy extends Error {
  readonly code = 'SERVICE_BUSY';
  constructor() {
    super('Too many password checks are running; try again in a second.');
    this.name = 'PasswordHashBusy';
  }
}

let running = 0;
const waiting: Array<() => void> = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) {
    if (waiting.length >= MAX_WAITING_HASHES) throw new PasswordHashBusy();
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiter, or is given back.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function deriveScrypt(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  keyLength: number,
): Promise<Buffer> {
  return withHashSlot(() => deriveScryptNow(password, salt, params, keyLength));
}

function deriveScryptNow(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  keyLength: number,
): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    maxmem: 128 * N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/**
 * Hashes a password with scrypt and a per-password random salt, in the PHC string format:
 * `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (base64 without padding).
 */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  if (password.length > MAX_PASSWORD_LENGTH) throw new RangeError('Password is too long');
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveScrypt(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const match =
    /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
      stored,
    );
  if (!match) return undefined;
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (
    params.logN < 1 ||
    params.logN > MAX_LOG_N ||
    params.r < 1 ||
    params.r > MAX_R ||
    params.p < 1 ||
    params.p > MAX_P
  ) {
    return undefined;
  }
  const salt = Buffer.from(match[4], 'base64');
  const hash = Buffer.from(match[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params, salt, hash };
}

/** False for a wrong password and for a stored value that is not a hash this module wrote. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false;
  const candidate = await deriveScrypt(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the stored hash used weaker parameters than `params` and should be replaced at the next login. */
export function passwordNeedsRehash(
  stored: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return (
    parsed.params.logN < params.logN || parsed.params.r < params.r || parsed.params.p < params.p
  );
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64').replace(/=+$/, '');
}
