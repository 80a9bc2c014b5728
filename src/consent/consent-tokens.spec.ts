import type { AppConfig } from '../config/app.config';
import { ConsentTokens } from './consent-tokens';

const SECRET = 'consent-test-secret-0123456789abcdef0123';
const config = (secret: string, previous?: string) =>
  ({ APP_SECRET: secret, APP_SECRET_PREVIOUS: previous }) as AppConfig;

describe(ConsentTokens.name, () => {
  const tokens = new ConsentTokens(config(SECRET));
  const ref = { programId: 'prog-1', participantId: 'ana@example', category: 'marketing' };

  it('opens what it sealed, and says nothing readable', () => {
    const token = tokens.seal(ref);
    expect(tokens.open(token)).toEqual(ref);
    for (const part of token.split('.'))
      expect(Buffer.from(part, 'base64url').toString('latin1')).not.toMatch(/prog-1|ana|marketing/);
  });

  it('refuses a token changed in any one character', () => {
    const token = tokens.seal(ref);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let at = 0; at < token.length; at++) {
      for (const c of alphabet) {
        if (c === token[at]) continue;
        const edited = token.slice(0, at) + c + token.slice(at + 1);
        expect(tokens.open(edited)).toBeNull();
      }
    }
  });

  it('refuses a token of another secret, and opens one of the previous secret while rotating', () => {
    const old = new ConsentTokens(config('another-secret-0123456789abcdef012345'));
    const sealed = old.seal(ref);
    expect(tokens.open(sealed)).toBeNull();
    const rotating = new ConsentTokens(config(SECRET, 'another-secret-0123456789abcdef012345'));
    expect(rotating.open(sealed)).toEqual(ref);
  });

  it('signs mailto local parts that only it can make, in any case', () => {
    const tag = 'abcdefghijklmnopqrst';
    const local = tokens.mailtoLocalPart(tag);
    expect(local).toMatch(/^u-[a-z2-7]{36}$/);
    expect(local.length).toBeLessThanOrEqual(64);
    expect(tokens.readMailtoLocalPart(local)).toBe(tag);
    expect(tokens.readMailtoLocalPart(local.toUpperCase())).toBe(tag);
    const other = new ConsentTokens(config('another-secret-0123456789abcdef012345'));
    expect(other.readMailtoLocalPart(local)).toBeNull();
    // Another message's tag under this MAC, or a MAC edited by one character.
    expect(tokens.readMailtoLocalPart(`u-${'b'.repeat(20)}${local.slice(22)}`)).toBeNull();
    const last = local.at(-1) === 'a' ? 'b' : 'a';
    expect(tokens.readMailtoLocalPart(local.slice(0, -1) + last)).toBeNull();
  });
});
