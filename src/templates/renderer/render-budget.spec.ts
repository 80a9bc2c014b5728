import { hostile } from '../../../test/support/hostile-templates';
import { DefaultTemplateStore } from './default-template-store';
import { sampleEmailData } from './email-samples';
import { MAX_RENDERED_CHARS } from './render-budget';
import {
  TemplateRenderError,
  TemplateRenderer,
  TemplateRenderLimitError,
} from './template-renderer';
import type { TemplateOverride, TemplateSource } from './template-source';

/** One program template, served as the database would. */
class OneTemplate implements TemplateSource {
  constructor(private readonly template: Omit<TemplateOverride, 'version'>) {}
  getOverride(_programId: string, key: string): TemplateOverride | undefined {
    return key === 'own-key' ? { ...this.template, version: 1 } : undefined;
  }
}

function generic(eventData: Record<string, unknown>): Record<string, unknown> {
  const data = sampleEmailData('generic', 'en') as unknown as Record<string, unknown>;
  return { ...data, event: { ...(data.event as object), data: eventData } };
}

const render = (template: Omit<TemplateOverride, 'version'>, data: Record<string, unknown>) =>
  new TemplateRenderer({ source: new OneTemplate(template) }).render({
    programId: 'prog_1',
    key: 'own-key',
    locales: ['en'],
    data,
  });

describe('the output budget of a program template', () => {
  it('stops as soon as the output crosses the budget, not after building it all', async () => {
    let reads = 0;
    const blob = 'x'.repeat(100_000);
    const eventData = {};
    // Counts how often the template reads the value: each read is one more 100 KB of output.
    Object.defineProperty(eventData, 'blob', {
      enumerable: true,
      get: () => {
        reads++;
        return blob;
      },
    });
    const html = '<p>{{event.data.blob}}</p>\n'.repeat(1_000);
    const failure = await render({ subject: 's', html, text: null }, generic(eventData)).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TemplateRenderLimitError);
    expect(failure).toMatchObject({
      code: 'TEMPLATE_RENDER_LIMIT',
      limit: 'output',
      part: 'html',
      reason: 'the email would be longer than 2,000,000 characters; use long values fewer times',
    });
    // 20 values of 100 KB fill the 2,000,000 characters: it stopped at the 20th of 1,000.
    expect(reads).toBe(MAX_RENDERED_CHARS / blob.length);
  });

  it('counts text, values, block results and partials once each', async () => {
    // About 1,900,000 characters, written through each, if, with and a partial: counted twice
    // anywhere, this would go over.
    const items = Array.from({ length: 1_900 }, (_, i) => ({ text: `${i}`.padEnd(900, '.') }));
    const html =
      '{{#each event.data.items}}{{#if text}}{{#with this}}<i>{{text}}</i>{{/with}}{{/if}}{{/each}}' +
      '{{> fallback-link href="https://acme.example/x"}}';
    const out = await render({ subject: 's', html, text: 'x' }, generic({ items }));
    expect(out.html.length).toBeGreaterThan(1_900 * 907);
    const twice = { items: [...items, ...items.slice(0, 400)] };
    await expect(render({ subject: 's', html, text: 'x' }, generic(twice))).rejects.toThrow(
      /each: the lists produce more than 2,000,000 items and characters/,
    );
  });

  it('charges every list item, so lists that write nothing still end', async () => {
    const items = Array.from({ length: 2_000 }, (_, i) => i);
    const html =
      '{{#each event.data.items}}{{#each @root.event.data.items}}{{/each}}{{/each}}<p>done</p>';
    await expect(
      render({ subject: 's', html, text: 'x' }, generic({ items })),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_RENDER_LIMIT',
      reason: 'each: the lists produce more than 2,000,000 items and characters; show fewer items',
    });
  });

  it('counts the text part and the subject too', async () => {
    const failure = await render(
      { subject: 's', html: '<p>x</p>', text: '{{event.data.blob}}\n'.repeat(30) },
      generic({ blob: 'y'.repeat(100_000) }),
    ).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'TEMPLATE_RENDER_LIMIT', part: 'text' });
  });

  it('refuses a stored template over the limits of a save before parsing it', async () => {
    const failure = await render(
      { subject: 's', html: hostile.elseChain(), text: null },
      generic({}),
    ).catch((err: unknown) => err);
    expect(failure).toMatchObject({
      code: 'TEMPLATE_RENDER_LIMIT',
      limit: 'elseChain',
      part: 'html',
      line: 32,
      column: 1,
    });
    expect((failure as TemplateRenderError).reason).toMatch(/^An \{\{else if\}\} chain of 5,000/);
  });
});

describe('{{link}} inside an attribute', () => {
  it('writes the URL it checked, alone', async () => {
    const out = await render(
      {
        subject: 's',
        html: '<a href="{{link event.data.url}}" class="x">Open</a> {{link event.data.url "Or here"}}',
        text: null,
      },
      generic({ url: 'https://acme.example/r?a=1&b="2"' }),
    );
    const href = 'https://acme.example/r?a=1&amp;b=%222%22';
    expect(out.html).toContain(`<a href="${href}" class="x">Open</a>`);
    expect(out.html).toContain(
      `<a href="${href}" style="color:#1d4ed8;text-decoration:underline;">Or here</a>`,
    );
  });

  it('refuses a javascript: URL there as anywhere', async () => {
    await expect(
      render(
        { subject: 's', html: '<a href="{{link event.data.url}}">Open</a>', text: null },
        generic({ url: 'javascript:alert(1)' }),
      ),
    ).rejects.toMatchObject({
      code: 'TEMPLATE_RENDER_FAILED',
      reason: 'link: only http and https links are allowed, got "javascript:"',
    });
  });
});

describe('what a worker keeps compiled', () => {
  it('drops the least recently used compilations beyond the characters of source it may keep', async () => {
    const html = `<p>{{event.type}}</p>${'.'.repeat(10_000)}`;
    const source: TemplateSource = {
      getOverride: (_programId, key) => ({ subject: key, html, text: 'x', version: 1 }),
    };
    const renderer = new TemplateRenderer({ source, cacheChars: 35_000 });
    for (const key of ['k-1', 'k-2', 'k-3', 'k-4', 'k-5'])
      await renderer.render({ programId: 'prog_1', key, locales: ['en'], data: generic({}) });
    // Three templates of 10,025 characters fit in 35,000.
    expect(renderer.cachedCount).toBe(3);
  });
});

describe('a counted render', () => {
  // The counting compiler changes how output is gathered, never what it is: a program's copy of
  // each template we ship renders exactly as the default does.
  const defaults = new DefaultTemplateStore();
  const cases = defaults
    .keys()
    .flatMap((key) => defaults.locales(key).map((locale) => [key, locale] as const));

  it.each(cases)('renders a copy of %s/%s exactly as the default', async (key, locale) => {
    const copy: TemplateSource = {
      getOverride: (_programId, k, l) =>
        k === key && l === locale ? { ...defaults.get(key, locale)!, version: 1 } : undefined,
    };
    const input = {
      key,
      locales: [locale],
      data: sampleEmailData(key, locale) as unknown as Record<string, unknown>,
    };
    const asProgram = await new TemplateRenderer({ source: copy, defaults }).render({
      ...input,
      programId: 'prog_1',
    });
    const asDefault = await new TemplateRenderer({ defaults }).render({
      ...input,
      programId: null,
    });
    expect(asProgram.source).toBe('program');
    expect({ subject: asProgram.subject, html: asProgram.html, text: asProgram.text }).toEqual({
      subject: asDefault.subject,
      html: asDefault.html,
      text: asDefault.text,
    });
  });
});
