import {
  generateToken,
  hashPassword,
  passwordNeedsRehash,
  safeEqual,
  sha256Hex,
  verifyPassword,
  type ScryptParams,
} from './tokens';

// Cheap parameters keep the suite fast; the defaults are covered once below.
const FAST: ScryptParams = { logN: 10, r: 8, p: 1 };

describe('generateToken', () => {
  it('returns base64url with the given prefix and at least 128 bits', () => {
    const token = generateToken('vt_');
    expect(token).toMatch(/^vt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
  });

  it('returns a different token every time', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateToken()));
    expect(tokens.size).toBe(200);
  });

  it('refuses fewer than 16 random bytes', () => {
    expect(() => generateToken('x_', 8)).toThrow(RangeError);
    expect(generateToken('x_', 16)).toMatch(/^x_[A-Za-z0-9_-]{22}$/);
  });
});

describe('sha256Hex', () => {
  it('hashes to lower-case hex', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('safeEqual', () => {
  it('compares strings of any length', () => {
    expect(safeEqual('token', 'token')).toBe(true);
    expect(safeEqual('token', 'tokem')).toBe(false);
    expect(safeEqual('token', 'token-longer')).toBe(false);
  });
});

describe('hashPassword', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple', FAST);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same', a)).resolves.toBe(true);
    await expect(verifyPassword('same', b)).resolves.toBe(true);
  });

  it('stores a PHC-style string without the password', async () => {
    const stored = await hashPassword('pa55word', FAST);
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(stored).not.toContain('pa55word');
  });

  it('uses the default parameters when none are given', async () => {
    const stored = await hashPassword('default-params');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$/);
    await expect(verifyPassword('default-params', stored)).resolves.toBe(true);
    expect(passwordNeedsRehash(stored)).toBe(false);
  });

  it('treats canonically equivalent Unicode input as the same password', async () => {
    const stored = await hashPassword('caf\u00e9', FAST);
    await expect(verifyPassword('cafe\u0301', stored)).resolves.toBe(true);
  });

  it.each([
    ['empty', ''],
    ['not a hash', 'plaintext'],
    ['unknown algorithm', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['absurd cost', '$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
  ])('returns false for a stored value that is %s', async (_what, stored) => {
    await expect(verifyPassword('anything', stored)).resolves.toBe(false);
  });

  it('asks for a rehash when the stored parameters are weaker', async () => {
    const stored = await hashPassword('x', FAST);
    expect(passwordNeedsRehash(stored)).toBe(true);
    expect(passwordNeedsRehash(stored, FAST)).toBe(false);
  });
});
