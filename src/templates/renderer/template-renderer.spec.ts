import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultTemplateStore } from './default-template-store';
import { sampleEmailData } from './email-samples';
import { EMAIL_TYPE_KEYS } from './email-types';
import { resolveLocaleChain } from './locale-fallback';
import { TemplateRenderError, TemplateRenderer, singleLine } from './template-renderer';
import type { TemplateOverride, TemplateSource } from './template-source';

// UPDATE_GOLDEN=1 npx jest src/templates rewrites the expected files; review the diff before committing.
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';
const GOLDEN_DIR = join(__dirname, '__golden__');
const LOCALES = ['en', 'es', 'pt-BR'];

class FakeSource implements TemplateSource {
  readonly overrides = new Map<string, TemplateOverride>();
  calls = 0;

  set(programId: string, key: string, locale: string, override: TemplateOverride): void {
    this.overrides.set(`${programId}/${key}/${locale}`, override);
  }

  getOverride(programId: string, key: string, locale: string): TemplateOverride | undefined {
    this.calls++;
    return this.overrides.get(`${programId}/${key}/${locale}`);
  }
}

function golden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (UPDATE_GOLDEN || !existsSync(path)) {
    if (!UPDATE_GOLDEN)
      throw new Error(`Missing golden file ${path}; run with UPDATE_GOLDEN=1 and review it`);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, actual, 'utf8');
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const data = (key: string, locale = 'en', patch: Record<string, unknown> = {}) => ({
  ...sampleEmailData(key, locale),
  ...patch,
});

describe(TemplateRenderer.name, () => {
  const defaults = new DefaultTemplateStore();
  let renderer: TemplateRenderer;
  let source: FakeSource;

  beforeEach(() => {
    source = new FakeSource();
    renderer = new TemplateRenderer({ source, defaults });
  });

  describe('default templates (golden files)', () => {
    const cases = EMAIL_TYPE_KEYS.flatMap((key) => LOCALES.map((locale) => [key, locale] as const));

    it('ships every email type in every locale', () => {
      expect(defaults.keys()).toEqual([...EMAIL_TYPE_KEYS].sort());
      for (const key of EMAIL_TYPE_KEYS) expect(defaults.locales(key)).toEqual([...LOCALES].sort());
    });

    it.each(cases)('renders %s in %s exactly as reviewed', async (key, locale) => {
      const out = await renderer.render({
        programId: null,
        key,
        locales: [locale],
        data: data(key, locale),
      });
      expect(out).toMatchObject({ key, locale, source: 'default' });
      golden(`${key}/${locale}.subject.txt`, out.subject);
      golden(`${key}/${locale}.html`, out.html);
      golden(`${key}/${locale}.text.txt`, out.text);
    });

    it.each(cases)('leaves no placeholder unfilled in %s/%s', async (key, locale) => {
      const out = await renderer.render({
        programId: null,
        key,
        locales: [locale],
        data: data(key, locale),
      });
      for (const part of [out.subject, out.html, out.text]) {
        expect(part).not.toMatch(/\{\{|\}\}|undefined|null|NaN|\[object Object\]/);
      }
      expect(out.html).toContain(`<html lang="${locale}"`);
    });
  });

  describe('variables', () => {
    it('fails in strict mode when the data lacks a variable, naming it and where', async () => {
      const { expiresInHours: _dropped, ...partial } = sampleEmailData('verification') as Record<
        string,
        unknown
      >;
      const rendering = renderer.render({
        programId: null,
        key: 'verification',
        locales: ['en'],
        data: partial,
      });
      await expect(rendering).rejects.toBeInstanceOf(TemplateRenderError);
      await expect(rendering).rejects.toMatchObject({
        part: 'html',
        code: 'TEMPLATE_RENDER_FAILED',
        line: 5,
      });
      await expect(rendering).rejects.toThrow(
        /no variable "expiresInHours" \(line 5, column \d+\)/,
      );
    });

    it('fails when a helper argument is missing: helpers check what strict mode does not', async () => {
      const { verifyUrl: _dropped, ...partial } = sampleEmailData('verification') as Record<
        string,
        unknown
      >;
      const rendering = renderer.render({
        programId: null,
        key: 'verification',
        locales: ['en'],
        data: partial,
      });
      await expect(rendering).rejects.toThrow(
        /link: expected a URL, got nothing \(is a variable missing from the data\?\)/,
      );
    });

    it('fails when a nested field is missing, not only a top-level one', () => {
      const participant = { ...sampleEmailData('verification').participant } as Record<
        string,
        unknown
      >;
      delete participant.email;
      expect(() =>
        renderer.renderParts(
          { subject: 'x', html: '{{participant.email}}' },
          { key: 'verification', locales: ['en'], data: { ...data('verification'), participant } },
        ),
      ).toThrow(/no variable "email"/);
    });

    it('explains a field read on null inside a helper argument', () => {
      const render = () =>
        renderer.renderParts(
          { subject: 's', html: '{{#if reward.amount}}x{{/if}}' },
          { key: 'generic', locales: ['en'], data: data('generic', 'en', { reward: null }) },
        );
      expect(render).toThrow(
        'Template "generic" (en, draft) failed in its html part: a value on the way to "amount" is null or missing; check it first with {{#if}}',
      );
    });

    it('accepts null for optional fields and lets {{#if}} choose the wording', async () => {
      const participant = { ...sampleEmailData('verification').participant, firstName: null };
      const out = await renderer.render({
        programId: null,
        key: 'verification',
        locales: ['es'],
        data: data('verification', 'es', { participant }),
      });
      expect(out.text.split('\n')[0]).toBe('Hola:');
    });

    it('escapes participant data in HTML and leaves it readable in subject and text', () => {
      const participant = {
        ...sampleEmailData('generic').participant,
        firstName: '<b>O\'Brien</b> & "Co"',
      };
      const out = renderer.renderParts(
        {
          subject: 'Hi {{participant.firstName}}',
          html: '<p>{{participant.firstName}}</p>',
          text: '{{participant.firstName}}',
        },
        { key: 'generic', locales: ['en'], data: data('generic', 'en', { participant }) },
      );
      expect(out.html).toContain('<p>&lt;b&gt;O&#x27;Brien&lt;/b&gt; &amp; &quot;Co&quot;</p>');
      expect(out.subject).toBe('Hi <b>O\'Brien</b> & "Co"');
      expect(out.text.startsWith('<b>O\'Brien</b> & "Co"')).toBe(true);
    });
  });

  describe('prototype access', () => {
    afterEach(() => {
      delete (globalThis as Record<string, unknown>).__templatePwned;
    });

    it.each([
      ['{{constructor}}|{{__proto__}}|{{participant.constructor}}'],
      ['{{lookup participant "constructor"}}|{{lookup participant "__proto__"}}'],
    ])('shows nothing of %s: the value is denied, so the render stops', (html) => {
      const render = () =>
        renderer.renderParts(
          { subject: 's', html },
          { key: 'generic', locales: ['en'], data: data('generic') },
        );
      expect(render).toThrow(TemplateRenderError);
      expect(render).toThrow(/"(constructor|participant\.constructor)" is empty for this message/);
      expect(render).not.toThrow(/function|\[native code\]/);
    });

    it('runs no code for the known constructor.constructor payload', () => {
      const payload = [
        '{{#with "s" as |string|}}{{#with "e"}}{{#with split as |conslist|}}',
        '{{this.pop}}{{this.push (lookup string.sub "constructor")}}{{this.pop}}',
        '{{#with string.split as |codelist|}}{{this.pop}}{{this.push "globalThis.__templatePwned = true"}}{{this.pop}}',
        '{{#each conslist}}{{#with (string.sub.apply 0 codelist)}}{{this}}{{/with}}{{/each}}',
        '{{/with}}{{/with}}{{/with}}{{/with}}',
      ].join('');
      expect(() =>
        renderer.renderParts(
          { subject: 's', html: payload },
          { key: 'generic', locales: ['en'], data: data('generic') },
        ),
      ).toThrow(TemplateRenderError);
      expect((globalThis as Record<string, unknown>).__templatePwned).toBeUndefined();
    });

    it('never calls a function found in the data as a helper', () => {
      let called = false;
      const event = { ...sampleEmailData('generic').event, data: { run: () => (called = true) } };
      expect(() =>
        renderer.renderParts(
          { subject: 's', html: '{{event.data.run "x"}}' },
          { key: 'generic', locales: ['en'], data: data('generic', 'en', { event }) },
        ),
      ).toThrow(/unknown helper/);
      expect(called).toBe(false);
    });
  });

  describe('links', () => {
    const render = (url: string, output: 'html' | 'text' = 'html') => {
      const parts =
        output === 'html'
          ? { subject: 's', html: '{{link event.data.url "Open"}}' }
          : { subject: 's', html: '<p>x</p>', text: '{{link event.data.url "Open"}}' };
      const event = { ...sampleEmailData('generic').event, data: { url } };
      return renderer.renderParts(parts, {
        key: 'generic',
        locales: ['en'],
        data: data('generic', 'en', { event }),
      });
    };

    it('escapes the href and the label', () => {
      expect(render('https://x.example/a?b=1&c="2"').html).toContain(
        '<a href="https://x.example/a?b=1&amp;c=%222%22" style="color:#1d4ed8;text-decoration:underline;">Open</a>',
      );
    });

    it('writes "label (url)" in the text part', () => {
      expect(render('https://x.example/a', 'text').text.split('\n')[0]).toBe(
        'Open (https://x.example/a)',
      );
    });

    it.each([
      'javascript:alert(1)',
      'data:text/html,<script>x</script>',
      'mailto:a@b.example',
      '/relative/path',
      ' JAVASCRIPT:alert(1)',
    ])('refuses %p instead of writing it into an href', (url) => {
      expect(() => render(url)).toThrow(/link: /);
    });
  });

  describe('layout and plain text', () => {
    it('wraps a program body in the layout with the localised footer, and branding only when on', async () => {
      source.set('prog_1', 'verification', 'es', {
        subject: 'Hola',
        html: '<p>Cuerpo</p>',
        version: 1,
      });
      const on = await renderer.render({
        programId: 'prog_1',
        key: 'verification',
        locales: ['es'],
        data: data('verification', 'es'),
      });
      expect(on.html).toContain('<p>Cuerpo</p>');
      expect(on.html).toContain('Este correo te lo envía Brightside Rewards.');
      expect(on.html).toContain('Enviado con Referral Notify');

      const program = { ...sampleEmailData('verification').program, branding: false };
      const off = await renderer.render({
        programId: 'prog_1',
        key: 'verification',
        locales: ['es'],
        data: data('verification', 'es', { program }),
      });
      expect(off.html).toContain('Este correo te lo envía Brightside Rewards.');
      expect(off.html).not.toContain('Referral Notify');
      expect(off.text).not.toContain('Referral Notify');
    });

    it('derives the text part from the HTML when the template has none', async () => {
      source.set('prog_1', 'spring-promo', 'en', {
        subject: 'Spring',
        html: '<h1>Spring is here</h1><p>Hi {{recipient.firstName}},<br>use code <b>{{event.data.orderId}}</b>.</p>{{> button href="https://shop.example/spring" label="Shop now"}}',
        version: 1,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'spring-promo',
        locales: ['en'],
        data: data('generic'),
      });
      expect(out.text).toBe(
        [
          'Brightside Rewards',
          '',
          'Spring is here',
          '',
          'Hi Alex,',
          'use code A-1042.',
          '',
          'Shop now (https://shop.example/spring)',
          '',
          'This email was sent to you by Brightside Rewards.',
          '',
          'Unsubscribe or choose which emails you get (https://rewards.brightside.example/p/unsubscribe/sample-unsubscribe-token)',
          '',
          'Sent with Referral Notify',
        ].join('\n'),
      );
    });

    it('uses a whole HTML document as is, without the layout', async () => {
      const html =
        '<!DOCTYPE html><html><body><p>Own layout for {{participant.firstName}}</p></body></html>';
      source.set('prog_1', 'welcome', 'en', { subject: 'Welcome', html, version: 1 });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'welcome',
        locales: ['en'],
        data: data('generic'),
      });
      expect(out.html).toBe('<!DOCTYPE html><html><body><p>Own layout for Alex</p></body></html>');
      expect(out.text).toBe('Own layout for Alex');
    });

    it('keeps the subject on one line', async () => {
      source.set('prog_1', 'welcome', 'en', {
        subject: 'Hello\r\n{{participant.firstName}}\nBcc: x@evil.example\t!',
        html: '<p>x</p>',
        version: 1,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'welcome',
        locales: ['en'],
        data: data('generic'),
      });
      expect(out.subject).toBe('Hello Alex Bcc: x@evil.example !');
    });

    it.each([
      ['a\r\nb', 'a b'],
      ['  a \n\n b  ', 'a b'],
      ['a\u2028b\u0000c', 'a b c'],
      ['\u{1F600}\r\n\u{1F600}', '\u{1F600} \u{1F600}'],
      ['lone \ud83d\u007f', 'lone \ud83d'],
      ['a\u0085b\u00a0', 'a\u0085b'],
      ['no change', 'no change'],
    ])('singleLine(%j) is %j', (input, expected) => {
      expect(singleLine(input)).toBe(expected);
    });

    it('gives what it gave before, character by character, on mixed input', () => {
      // The per-character version it replaced, kept here as the reference.
      const reference = (value: string) => {
        let line = '';
        for (const ch of value) {
          const code = ch.charCodeAt(0);
          line += code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? ' ' : ch;
        }
        return line.replace(/ {2,}/g, ' ').trim();
      };
      const alphabet = [
        'a',
        'Z',
        ' ',
        '  ',
        '\r',
        '\n',
        '\t',
        '\u0000',
        '\u007f',
        '\u2028',
        '\u2029',
        '\u00a0',
        'é',
        '\u{1F600}',
        '\ud83d',
        '\ude00',
      ];
      let seed = 7;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
      for (let n = 0; n < 2000; n++) {
        const value = Array.from(
          { length: next() % 12 },
          () => alphabet[next() % alphabet.length],
        ).join('');
        expect(singleLine(value)).toBe(reference(value));
      }
    });
  });

  describe('sources and locale fallback', () => {
    it('prefers a program override to the default in the same locale', async () => {
      source.set('prog_1', 'verification', 'en', {
        subject: 'Verify now',
        html: '<p>{{verifyUrl}}</p>',
        version: 3,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'verification',
        locales: ['en'],
        data: data('verification'),
      });
      expect(out).toMatchObject({
        subject: 'Verify now',
        source: 'program',
        locale: 'en',
        version: '3',
        key: 'verification',
      });
    });

    it("keeps the reader's language for system emails: the Spanish default beats an English override", async () => {
      source.set('prog_1', 'verification', 'en', {
        subject: 'Verify now',
        html: '<p>x</p>',
        version: 1,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'verification',
        locales: resolveLocaleChain('es', 'en'),
        data: data('verification', 'es'),
      });
      expect(out).toMatchObject({ source: 'default', locale: 'es' });
    });

    it('falls back from es-MX to es, formatting money the Mexican way', async () => {
      const out = await renderer.render({
        programId: null,
        key: 'payout-reminder',
        locales: resolveLocaleChain('es-MX', 'en'),
        data: data('payout-reminder', 'es'),
      });
      expect(out.locale).toBe('es');
      expect(out.subject).toBe('Recordatorio: tu recompensa de USD\u00a025.00 te está esperando');
    });

    it('falls back to the program default locale, then to en', async () => {
      const toProgramDefault = await renderer.render({
        programId: null,
        key: 'w9-required',
        locales: resolveLocaleChain('fr', 'pt-BR'),
        data: data('w9-required'),
      });
      expect(toProgramDefault.locale).toBe('pt-BR');
      const toEnglish = await renderer.render({
        programId: null,
        key: 'w9-required',
        locales: resolveLocaleChain('fr', 'de'),
        data: data('w9-required'),
      });
      expect(toEnglish.locale).toBe('en');
    });

    it("renders a program key's own template in any locale before the generic body", async () => {
      source.set('prog_1', 'spring-promo', 'en', {
        subject: 'Spring promo',
        html: '<p>Promo</p>',
        version: 1,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'spring-promo',
        locales: resolveLocaleChain('es', 'es'),
        data: data('generic', 'es'),
      });
      expect(out).toMatchObject({
        key: 'spring-promo',
        source: 'program',
        locale: 'en',
        subject: 'Spring promo',
      });
    });

    it('falls back to the generic body for a program key with no template', async () => {
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'spring-promo',
        locales: ['es'],
        data: data('generic', 'es'),
      });
      expect(out).toMatchObject({
        key: 'generic',
        source: 'default',
        locale: 'es',
        subject: 'Novedades de Brightside Rewards',
      });
    });

    it("uses the program's own generic override as that fallback", async () => {
      source.set('prog_1', 'generic', 'es', {
        subject: 'Aviso de {{program.name}}',
        html: '<p>x</p>',
        version: 1,
      });
      const out = await renderer.render({
        programId: 'prog_1',
        key: 'spring-promo',
        locales: ['es'],
        data: data('generic', 'es'),
      });
      expect(out).toMatchObject({
        key: 'generic',
        source: 'program',
        subject: 'Aviso de Brightside Rewards',
      });
    });

    it('never asks the source without a program', async () => {
      await renderer.render({
        programId: null,
        key: 'verification',
        locales: ['en'],
        data: data('verification'),
      });
      expect(source.calls).toBe(0);
    });
  });

  describe('what a render keeps per list of locales', () => {
    const footer = {
      en: 'This email was sent to you by Brightside Rewards.',
      es: 'Este correo te lo envía Brightside Rewards.',
    };

    it('renders every default exactly as reviewed again once warm, after other locales', async () => {
      const cases = EMAIL_TYPE_KEYS.flatMap((key) =>
        LOCALES.map((locale) => [key, locale] as const),
      );
      for (const round of [cases, [...cases].reverse(), cases]) {
        for (const [key, locale] of round) {
          // The list as callers pass it and the bare locale share nothing but their result.
          for (const locales of [resolveLocaleChain(locale, 'es'), [locale]]) {
            const out = await renderer.render({
              programId: null,
              key,
              locales,
              data: data(key, locale),
            });
            expect(out).toMatchObject({ key, locale, source: 'default' });
            golden(`${key}/${locale}.subject.txt`, out.subject);
            golden(`${key}/${locale}.html`, out.html);
            golden(`${key}/${locale}.text.txt`, out.text);
          }
        }
      }
    });

    it('reads the partials once per template locale and list of locales', async () => {
      const store = new DefaultTemplateStore();
      const partial = jest.spyOn(store, 'partial');
      renderer = new TemplateRenderer({ source, defaults: store });
      const render = (locales: string[]) =>
        renderer.render({
          programId: null,
          key: 'verification',
          locales,
          data: data('verification', 'es'),
        });
      await render(['es']);
      const cold = partial.mock.calls.length;
      expect(cold).toBeGreaterThan(0);
      await render(['es']);
      await render(['es']);
      expect(partial.mock.calls.length).toBe(cold);
      await render(['es', 'pt-BR']);
      expect(partial.mock.calls.length).toBe(2 * cold);
    });

    it('keeps the fallback of each list of locales apart, also for lists that share a start', async () => {
      const render = (locales: string[]) =>
        renderer.render({
          programId: null,
          key: 'w9-required',
          locales,
          data: data('w9-required'),
        });
      for (let round = 0; round < 2; round++) {
        expect((await render(['fr', 'pt-BR'])).locale).toBe('pt-BR');
        expect((await render(['fr', 'de'])).locale).toBe('en');
        expect((await render(['fr'])).locale).toBe('en');
        expect((await render(['fr', 'pt-BR', 'es'])).locale).toBe('pt-BR');
        expect((await render(['pt'])).locale).toBe('pt-BR');
      }
    });

    it('formats for the reader of each list, not the first reader of the template', async () => {
      const render = (locales: string[]) =>
        renderer.render({
          programId: null,
          key: 'payout-reminder',
          locales,
          data: data('payout-reminder', 'es'),
        });
      for (let round = 0; round < 2; round++) {
        expect((await render(['es-MX'])).subject).toBe(
          'Recordatorio: tu recompensa de USD\u00a025.00 te está esperando',
        );
        expect((await render(['es'])).subject).toBe(
          'Recordatorio: tu recompensa de 25,00\u00a0US$ te está esperando',
        );
      }
    });

    it("takes the footer from the template's locale first, then the reader's, for each template locale", async () => {
      source.set('prog_1', 'spring-promo', 'en', {
        subject: 'Spring',
        html: '<p>Promo</p>',
        version: 1,
      });
      for (let round = 0; round < 2; round++) {
        const own = await renderer.render({
          programId: 'prog_1',
          key: 'spring-promo',
          locales: ['es'],
          data: data('generic', 'es'),
        });
        expect(own).toMatchObject({ locale: 'en', source: 'program' });
        expect(own.html).toContain(footer.en);
        const system = await renderer.render({
          programId: 'prog_1',
          key: 'verification',
          locales: ['es'],
          data: data('verification', 'es'),
        });
        expect(system).toMatchObject({ locale: 'es', source: 'default' });
        expect(system.html).toContain(footer.es);
        expect(system.text).toContain(footer.es);
      }
    });

    it('asks the source on every render, so an override saved or removed later is used at once', async () => {
      const render = () =>
        renderer.render({
          programId: 'prog_1',
          key: 'verification',
          locales: ['es', 'en'],
          data: data('verification', 'es'),
        });
      expect(await render()).toMatchObject({ source: 'default', locale: 'es' });
      source.set('prog_1', 'verification', 'en', {
        subject: 'English override',
        html: '<p>x</p>',
        version: 1,
      });
      // The Spanish default still wins: the reader's language comes first.
      expect(await render()).toMatchObject({ source: 'default', locale: 'es' });
      source.set('prog_1', 'verification', 'es', {
        subject: 'Verifica',
        html: '<p>{{verifyUrl}}</p>',
        version: 1,
      });
      expect(await render()).toMatchObject({
        source: 'program',
        locale: 'es',
        subject: 'Verifica',
        version: '1',
      });
      source.set('prog_1', 'verification', 'es', {
        subject: 'Verifica ya',
        html: '<p>{{verifyUrl}}</p>',
        version: 2,
      });
      expect(await render()).toMatchObject({
        source: 'program',
        subject: 'Verifica ya',
        version: '2',
      });
      source.overrides.delete('prog_1/verification/es');
      const back = await render();
      expect(back).toMatchObject({ source: 'default', locale: 'es' });
      expect(back.html).toContain(footer.es);
    });

    it("is not changed by the caller's list or an error's list", async () => {
      const locales = ['es'];
      expect(
        (
          await renderer.render({
            programId: null,
            key: 'verification',
            locales,
            data: data('verification', 'es'),
          })
        ).locale,
      ).toBe('es');
      locales[0] = 'pt-BR';
      expect(
        (
          await renderer.render({
            programId: null,
            key: 'verification',
            locales,
            data: data('verification', 'pt-BR'),
          })
        ).locale,
      ).toBe('pt-BR');
      expect(
        (
          await renderer.render({
            programId: null,
            key: 'verification',
            locales: ['es'],
            data: data('verification', 'es'),
          })
        ).locale,
      ).toBe('es');
    });

    it('resolves right past the number of lists it keeps', async () => {
      // Invalid tags are skipped: every list is new and resolves to es, en.
      for (let i = 0; i < 1100; i++) {
        const out = await renderer.render({
          programId: null,
          key: 'verification',
          locales: [`zz${i}`, 'es'],
          data: data('verification', 'es'),
        });
        expect(out.locale).toBe('es');
      }
      expect(
        (
          await renderer.render({
            programId: null,
            key: 'verification',
            locales: ['zz0', 'pt'],
            data: data('verification', 'pt-BR'),
          })
        ).locale,
      ).toBe('pt-BR');
    });

    it('gives every render its own {{#each}} budget', async () => {
      source.set('prog_1', 'long-list', 'en', {
        subject: 's',
        html: '<p>x</p>',
        text: '{{#each event.data.items}}{{this}}{{/each}}',
        version: 1,
      });
      const items = Array.from({ length: 1200 }, () => 'x'.repeat(1000));
      const event = { ...sampleEmailData('generic').event, data: { items } };
      const render = () =>
        renderer.render({
          programId: 'prog_1',
          key: 'long-list',
          locales: ['en'],
          data: data('generic', 'en', { event }),
        });
      // Each render spends 1,201,200 of its 2,000,000: two would not fit in one budget.
      for (let round = 0; round < 3; round++)
        expect((await render()).text.length).toBeGreaterThan(1_200_000);
      const twice = { ...event, data: { items: [...items, ...items] } };
      await expect(
        renderer.render({
          programId: 'prog_1',
          key: 'long-list',
          locales: ['en'],
          data: data('generic', 'en', { event: twice }),
        }),
      ).rejects.toThrow(/each: the lists produce more than 2,000,000/);
    });

    it('drops what it keeps on clear and renders the same afterwards', async () => {
      const render = () =>
        renderer.render({
          programId: null,
          key: 'reward-earned',
          locales: ['pt-BR'],
          data: data('reward-earned', 'pt-BR'),
        });
      const before = await render();
      renderer.clear();
      expect(renderer.cachedCount).toBe(0);
      expect(await render()).toEqual(before);
    });
  });

  describe('cache', () => {
    const render = (programId: string | null = 'prog_1', key = 'welcome') =>
      renderer.render({ programId, key, locales: ['en'], data: data(key) });

    it('compiles the defaults once for every program', async () => {
      await render('prog_1', 'verification');
      await render('prog_2', 'verification');
      await render(null, 'verification');
      expect(renderer.cachedCount).toBe(1);
    });

    it('serves the cached compilation until the version changes', async () => {
      source.set('prog_1', 'welcome', 'en', { subject: 'v1', html: '<p>one</p>', version: 1 });
      expect((await render()).subject).toBe('v1');
      // Same version, new content: the cache is trusted (the version is the contract).
      source.set('prog_1', 'welcome', 'en', { subject: 'stale', html: '<p>two</p>', version: 1 });
      expect((await render()).subject).toBe('v1');
      source.set('prog_1', 'welcome', 'en', { subject: 'v2', html: '<p>two</p>', version: 2 });
      expect((await render()).subject).toBe('v2');
    });

    it('drops entries on invalidate: by program, key and locale', async () => {
      source.set('prog_1', 'welcome', 'en', { subject: 'v1', html: '<p>one</p>', version: 1 });
      source.set('prog_1', 'promo', 'en', { subject: 'p1', html: '<p>one</p>', version: 1 });
      source.set('prog_2', 'welcome', 'en', { subject: 'w2', html: '<p>one</p>', version: 1 });
      await render('prog_1', 'welcome');
      await render('prog_1', 'promo');
      await render('prog_2', 'welcome');
      expect(renderer.cachedCount).toBe(3);

      expect(renderer.invalidate('prog_1', 'welcome', 'es')).toBe(0);
      expect(renderer.invalidate('prog_1', 'welcome', 'en')).toBe(1);
      source.set('prog_1', 'welcome', 'en', { subject: 'edited', html: '<p>x</p>', version: 1 });
      expect((await render('prog_1', 'welcome')).subject).toBe('edited');

      expect(renderer.invalidate('prog_1')).toBe(2);
      expect(renderer.cachedCount).toBe(1);
      renderer.clear();
      expect(renderer.cachedCount).toBe(0);
    });

    it('evicts the least recently used compilation beyond its size', async () => {
      renderer = new TemplateRenderer({ source, defaults, cacheSize: 2 });
      for (const key of ['a', 'b', 'c'])
        source.set('prog_1', key, 'en', { subject: key, html: '<p>x</p>', version: 1 });
      await render('prog_1', 'a');
      await render('prog_1', 'b');
      await render('prog_1', 'a');
      await render('prog_1', 'c');
      expect(renderer.cachedCount).toBe(2);
      expect(renderer.invalidate('prog_1', 'b')).toBe(0);
      expect(renderer.invalidate('prog_1', 'a')).toBe(1);
    });
  });
});
