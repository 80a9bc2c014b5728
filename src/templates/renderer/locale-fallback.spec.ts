import { formattingLocale, normalizeLocale, resolveLocaleChain } from './locale-fallback';

describe(resolveLocaleChain.name, () => {
  it.each([
    [
      ['es', 'en'],
      ['es', 'en'],
    ],
    [
      ['pt-br', 'en'],
      ['pt-BR', 'pt', 'en'],
    ],
    [
      ['pt_BR', 'es'],
      ['pt-BR', 'pt', 'es', 'en'],
    ],
    [
      ['PT_br', null],
      ['pt-BR', 'pt', 'en'],
    ],
    [
      ['es-MX', 'en'],
      ['es-MX', 'es', 'en'],
    ],
    [
      ['es-MX', 'pt-BR'],
      ['es-MX', 'es', 'pt-BR', 'pt', 'en'],
    ],
    [
      ['pt-PT', 'en'],
      ['pt-PT', 'pt', 'pt-BR', 'en'],
    ],
    [
      ['pt', 'es'],
      ['pt', 'pt-BR', 'es', 'en'],
    ],
    [
      ['en-US', 'es'],
      ['en-US', 'en', 'es'],
    ],
    [
      ['fr', 'es'],
      ['fr', 'es', 'en'],
    ],
    [
      [null, 'es'],
      ['es', 'en'],
    ],
    [[undefined, undefined], ['en']],
    [['', '  '], ['en']],
    [
      ['not a locale!', 'es'],
      ['es', 'en'],
    ],
    [
      ['ES', 'es'],
      ['es', 'en'],
    ],
    [
      ['zh-hant-tw', 'en'],
      ['zh-Hant-TW', 'zh', 'en'],
    ],
    [['en', 'en'], ['en']],
  ])('resolves %j to %j', (preferred, expected) => {
    expect(resolveLocaleChain(...preferred)).toEqual(expected);
  });
});

describe(normalizeLocale.name, () => {
  it.each([
    ['pt_br', 'pt-BR'],
    [' es-mx ', 'es-MX'],
    ['EN', 'en'],
    ['x', null],
    ['', null],
    [null, null],
  ])('normalises %p to %p', (input, expected) => {
    expect(normalizeLocale(input)).toBe(expected);
  });
});

describe(formattingLocale.name, () => {
  it.each([
    ['es', ['es-MX', 'es', 'en'], 'es-MX'],
    ['en', ['en-GB', 'en'], 'en-GB'],
    ['en', ['fr', 'en'], 'en'],
    ['pt-BR', ['pt', 'pt-BR', 'en'], 'pt-BR'],
    ['es', ['es', 'en'], 'es'],
  ])('formats a %s template for %j in %s', (template, chain, expected) => {
    expect(formattingLocale(template, chain)).toBe(expected);
  });
});
