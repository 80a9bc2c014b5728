import { SecretBox, SecretBoxError } from './secret-box';

const SECRET = 'a'.repeat(16) + 'b'.repeat(16);
const OTHER_SECRET = 'c'.repeat(40);

function openError(box: SecretBox, sealed: string, context: string): SecretBoxError {
  try {
    box.open(sealed, context);
  } catch (err) {
    if (err instanceof SecretBoxError) return err;
    throw err;
  }
  throw new Error('expected open() to throw');
}

function flipChar(text: string): string {
  const c = text[0] === 'A' ? 'B' : 'A';
  return c + text.slice(1);
}

describe(SecretBox.name, () => {
  const box = new SecretBox(SECRET);

  it('opens what it sealed, for the same context', () => {
    const sealed = box.seal('p@ssw0rd with ünïcode', 'prog_1');
    expect(box.open(sealed, 'prog_1')).toBe('p@ssw0rd with ünïcode');
  });

  it('writes a versioned string that does not contain the plaintext', () => {
    const sealed = box.seal('hunter2-hunter2', 'prog_1');
    expect(sealed).toMatch(
      /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/,
    );
    expect(sealed).not.toContain('hunter2');
  });

  it('uses a fresh IV for every seal', () => {
    expect(box.seal('same', 'prog_1')).not.toBe(box.seal('same', 'prog_1'));
  });

  it('seals an empty string', () => {
    expect(box.open(box.seal('', 'prog_1'), 'prog_1')).toBe('');
  });

  it('refuses a value opened for another program (wrong associated data)', () => {
    const sealed = box.seal('secret', 'prog_1');
    expect(openError(box, sealed, 'prog_2').code).toBe('SECRET_AUTH_FAILED');
  });

  it.each([
    ['the ciphertext', 3],
    ['the tag', 4],
    ['the IV', 2],
  ])('detects tampering with %s', (_what, index) => {
    const parts = box.seal('secret value', 'prog_1').split('.');
    parts[index] = flipChar(parts[index]);
    const err = openError(box, parts.join('.'), 'prog_1');
    expect(['SECRET_AUTH_FAILED', 'SECRET_MALFORMED']).toContain(err.code);
  });

  it('refuses a value whose key id was changed to another known key', () => {
    const other = new SecretBox(OTHER_SECRET, [SECRET]);
    const parts = box.seal('secret', 'prog_1').split('.');
    const reheadered = [parts[0], other.seal('x', 'y').split('.')[1], ...parts.slice(2)].join('.');
    expect(openError(other, reheadered, 'prog_1').code).toBe('SECRET_AUTH_FAILED');
  });

  it('names a value sealed under a different APP_SECRET', () => {
    const sealed = new SecretBox(OTHER_SECRET).seal('secret', 'prog_1');
    const err = openError(box, sealed, 'prog_1');
    expect(err.code).toBe('SECRET_KEY_UNKNOWN');
    expect(err.message).toMatch(/APP_SECRET/);
  });

  it('opens values sealed under a previous secret after rotation, and says they need resealing', () => {
    const old = new SecretBox(OTHER_SECRET);
    const sealed = old.seal('secret', 'prog_1');
    const rotated = new SecretBox(SECRET, [OTHER_SECRET]);
    expect(rotated.open(sealed, 'prog_1')).toBe('secret');
    expect(rotated.needsReseal(sealed)).toBe(true);
    expect(rotated.needsReseal(rotated.seal('secret', 'prog_1'))).toBe(false);
  });

  describe('with previous secrets (APP_SECRET rotation)', () => {
    const A = 'a-secret-of-the-first-year-0123456789';
    const B = 'b-secret-of-the-second-year-0123456789';
    const C = 'c-secret-of-the-third-year-01234567890';
    const keyId = (sealed: string) => sealed.split('.')[1];

    it('always seals under the current secret, never a previous one', () => {
      const rotated = new SecretBox(C, [A, B]);
      const sealed = rotated.seal('secret', 'prog_1');
      expect(keyId(sealed)).toBe(keyId(new SecretBox(C).seal('x', 'y')));
      expect(new SecretBox(C).open(sealed, 'prog_1')).toBe('secret');
      expect(rotated.needsReseal(sealed)).toBe(false);
    });

    it('opens what each previous secret sealed, whatever their order', () => {
      const fromA = new SecretBox(A).seal('sealed under A', 'prog_1');
      const fromB = new SecretBox(B).seal('sealed under B', 'prog_1');
      for (const previous of [
        [A, B],
        [B, A],
      ]) {
        const rotated = new SecretBox(C, previous);
        expect(rotated.open(fromA, 'prog_1')).toBe('sealed under A');
        expect(rotated.open(fromB, 'prog_1')).toBe('sealed under B');
        expect(rotated.needsReseal(fromA)).toBe(true);
        expect(rotated.needsReseal(fromB)).toBe(true);
      }
    });

    it('still binds a value to its program under a previous secret', () => {
      const fromA = new SecretBox(A).seal('secret', 'prog_1');
      expect(openError(new SecretBox(B, [A]), fromA, 'prog_2').code).toBe('SECRET_AUTH_FAILED');
    });

    it('names a value sealed under a secret that is neither current nor previous', () => {
      const fromA = new SecretBox(A).seal('secret', 'prog_1');
      const err = openError(new SecretBox(C, [B]), fromA, 'prog_1');
      expect(err.code).toBe('SECRET_KEY_UNKNOWN');
      expect(err.message).toMatch(/APP_SECRET_PREVIOUS/);
    });

    it('re-sealed under the new secret, a value opens once the old one is gone', () => {
      const fromA = new SecretBox(A).seal('secret', 'prog_1');
      const rotated = new SecretBox(B, [A]);
      const resealed = rotated.seal(rotated.open(fromA, 'prog_1'), 'prog_1');
      expect(new SecretBox(B).open(resealed, 'prog_1')).toBe('secret');
      expect(openError(new SecretBox(B), fromA, 'prog_1').code).toBe('SECRET_KEY_UNKNOWN');
    });

    it('refuses a short previous secret', () => {
      expect(() => new SecretBox(B, ['too-short'])).toThrow(/at least 32/);
    });
  });

  it.each([
    ['garbage', 'SECRET_MALFORMED'],
    ['v1.a.b.c', 'SECRET_MALFORMED'],
    ['v1.kid.short.ct.tag', 'SECRET_MALFORMED'],
    ['v2.kid.iv.ct.tag', 'SECRET_UNSUPPORTED_VERSION'],
  ])('refuses the malformed value %j', (value, code) => {
    expect(openError(box, value, 'prog_1').code).toBe(code);
  });

  it('never puts the plaintext in an error message', () => {
    const sealed = box.seal('top-secret-password', 'prog_1');
    expect(openError(box, sealed, 'prog_2').message).not.toContain('top-secret-password');
  });

  it('refuses a short APP_SECRET', () => {
    expect(() => new SecretBox('too-short')).toThrow(/at least 32/);
  });
});
