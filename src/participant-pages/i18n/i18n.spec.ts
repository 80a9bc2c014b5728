import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { en } from './en';
import { es } from './es';
import { acceptedLang, choosePageLang, hasMessage, pageLangOf, translate } from './index';
import { ptBR } from './pt-BR';

describe(choosePageLang.name, () => {
  it.each([
    ['es-MX', 'pt-BR,pt;q=0.9', 'en', 'es'],
    [null, 'pt-PT,pt;q=0.9', 'en', 'pt-BR'],
    [null, 'de-DE, fr;q=0.8', 'es', 'es'],
    ['de', undefined, 'pt-BR', 'pt-BR'],
    [null, '*', 'fr', 'en'],
    ['en_GB', 'es', 'es', 'en'],
    [null, 'es;q=0, en-US;q=0.5', 'pt-BR', 'en'],
  ])(
    'participant %p, Accept-Language %p, program %p → %p',
    (participant, accept, program, lang) => {
      expect(choosePageLang(participant, accept, program)).toBe(lang);
    },
  );

  it('knows only the languages it has pages in', () => {
    expect(pageLangOf('fr-CA')).toBeUndefined();
    expect(acceptedLang('')).toBeUndefined();
  });
});

describe(translate.name, () => {
  it('fills placeholders and falls back to English, then to the key', () => {
    expect(translate('es', 'prefs.leftOne', { category: 'Novedades' })).toBe(
      'Te diste de baja de «Novedades».',
    );
    expect(translate('pt-BR', 'no.such.key')).toBe('no.such.key');
  });

  it('has every language say something of its own, with the same placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(en)) {
      const k = key as keyof typeof en;
      for (const dict of [es, ptBR]) {
        expect([key, placeholders(dict[k])]).toEqual([key, placeholders(text)]);
        expect(dict[k]).not.toBe(key);
      }
    }
  });

  it('has every key the views name', () => {
    const views = join(__dirname, '..', 'views');
    for (const file of readdirSync(views)) {
      const source = readFileSync(join(views, file), 'utf8');
      for (const [, key] of source.matchAll(/\{\{t "([^"]+)"/g))
        expect([file, key, hasMessage(key)]).toEqual([file, key, true]);
    }
  });
});
