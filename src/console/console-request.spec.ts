import { parseCookies, safeConsolePath, serializeCookie } from './console-request';

describe('parseCookies', () => {
  it('reads names and values, keeps the first of a name, and skips what it cannot decode', () => {
    const cookies = parseCookies(
      'rn_console=abc; rn_console_lang="es"; rn_console=later; bad=%E0%A4%A; =nameless; flag',
    );
    expect([...cookies]).toEqual([
      ['rn_console', 'abc'],
      ['rn_console_lang', 'es'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });
});

describe('serializeCookie', () => {
  it('scopes every cookie to the console, strict same-site and httpOnly by default', () => {
    expect(serializeCookie('rn_console', 'a b', { maxAgeSeconds: 60, secure: true })).toBe(
      'rn_console=a%20b; Path=/console; SameSite=Strict; Max-Age=60; HttpOnly; Secure',
    );
    expect(serializeCookie('x', '', { maxAgeSeconds: 0, secure: false, httpOnly: false })).toBe(
      'x=; Path=/console; SameSite=Strict; Max-Age=0',
    );
  });
});

describe('safeConsolePath', () => {
  it.each([
    ['/console', '/console'],
    ['/console/rules?notice=rule-saved', '/console/rules?notice=rule-saved'],
    ['/console/messages?to=a%40b.test&cursor=abc', '/console/messages?to=a%40b.test&cursor=abc'],
    ['//evil.example', undefined],
    ['/console//evil.example', undefined],
    ['https://evil.example/console', undefined],
    ['/consolex', undefined],
    ['/console/\\evil', undefined],
    ['/v1/rules', undefined],
    [42, undefined],
  ])('%p → %p', (value, expected) => {
    expect(safeConsolePath(value)).toBe(expected);
  });
});
