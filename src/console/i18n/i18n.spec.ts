import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { en } from './en';
import { es } from './es';
import { hasMessage, negotiateLang, translate } from './index';
import { ptBR } from './pt-BR';

describe('negotiateLang', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['es-MX,es;q=0.9,en;q=0.5', 'es'],
    ['pt-PT', 'pt-BR'],
    ['de-DE,pt;q=0.4,es;q=0.6', 'es'],
    ['fr, en;q=0.1', 'en'],
    ['es;q=0, en', 'en'],
    ['*', 'en'],
  ])('picks %p as %p', (header, lang) => {
    expect(negotiateLang(header)).toBe(lang);
  });
});

describe('translate', () => {
  it('fills placeholders and falls back to English, then to the key', () => {
    expect(translate('es', 'rules.version', { version: 3 })).toBe('Versión 3');
    expect(translate('pt-BR', 'no.such.key')).toBe('no.such.key');
  });

  it('has every language say something different from the key', () => {
    for (const dict of [en, es, ptBR])
      for (const [key, text] of Object.entries(dict)) expect(text).not.toBe(key);
  });

  it('keeps the placeholders of each English message in the other languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(en)) {
      expect([key, placeholders(es[key as keyof typeof en])]).toEqual([key, placeholders(text)]);
      expect([key, placeholders(ptBR[key as keyof typeof en])]).toEqual([key, placeholders(text)]);
    }
  });
});

describe('console views', () => {
  // Keys written out in the views must exist; keys built with concat are covered by the e2e tests.
  it('use only keys the dictionaries have', () => {
    const dir = join(__dirname, '..', 'views');
    const files = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      ...readdirSync(join(dir, 'partials')).map((f) => join(dir, 'partials', f)),
    ].filter((f) => f.endsWith('.hbs'));
    const missing = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:\{\{|\()t "([^"]+)"/g)]
        .map((m) => m[1])
        .filter((key) => !hasMessage(key))
        .map((key) => `${file}: ${key}`),
    );
    expect(missing).toEqual([]);
  });
});
