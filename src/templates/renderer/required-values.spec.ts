import { sampleEmailData, withOptionalEmpty } from './email-samples';
import {
  TemplateDataMissingError,
  TemplateRenderError,
  TemplateRenderer,
} from './template-renderer';
import type { TemplateOverride, TemplateSource } from './template-source';

const withFirstName = (firstName: string | null) => {
  const data = sampleEmailData('generic') as unknown as Record<string, unknown>;
  return {
    ...data,
    participant: { ...(data.participant as object), firstName },
  };
};

describe('required values', () => {
  const renderer = new TemplateRenderer();
  const draft = (html: string, data: Record<string, unknown>, subject = 's') =>
    renderer.renderParts({ subject, html }, { key: 'generic', locales: ['en'], data });

  it('renders a value that is there', () => {
    expect(
      draft('<p>Welcome, {{participant.firstName}}!</p>', withFirstName('Ana')).html,
    ).toContain('Welcome, Ana!');
  });

  it.each([
    ['null', null],
    ['an empty string', ''],
  ])(
    'fails with TEMPLATE_DATA_MISSING when a shown value is %s, naming it and where',
    (_, value) => {
      const render = () =>
        draft('<p>\n  Welcome, {{participant.firstName}}!</p>', withFirstName(value));
      expect(render).toThrow(TemplateDataMissingError);
      try {
        render();
      } catch (err) {
        expect(err).toMatchObject({
          code: 'TEMPLATE_DATA_MISSING',
          part: 'html',
          line: 2,
          column: 12,
        });
        expect((err as TemplateRenderError).reason).toBe(
          '"participant.firstName" is empty for this message, and an email never shows a blank: give it a value, or write {{default participant.firstName "…"}} or {{#if participant.firstName}}…{{/if}} in the template',
        );
      }
    },
  );

  it('checks the subject and the text part too', () => {
    const data = withFirstName(null);
    expect(() => draft('<p>x</p>', data, 'Hi {{participant.firstName}}')).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_DATA_MISSING', part: 'subject' }) as Error,
    );
    expect(() =>
      renderer.renderParts(
        { subject: 's', html: '<p>x</p>', text: 'Hi {{participant.firstName}}' },
        { key: 'generic', locales: ['en'], data },
      ),
    ).toThrow(expect.objectContaining({ code: 'TEMPLATE_DATA_MISSING', part: 'text' }) as Error);
  });

  it('fails on a required value that is empty, such as a program without a name', () => {
    const data = sampleEmailData('generic') as unknown as Record<string, unknown>;
    const program = { ...(data.program as object), name: '' };
    expect(() => draft('<p>{{program.name}}</p>', { ...data, program })).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_DATA_MISSING' }) as Error,
    );
  });

  it('shows 0 and false: they are values', () => {
    const data = {
      ...withFirstName('Ana'),
      event: { ...(sampleEmailData('generic').event as object), data: { n: 0, ok: false } },
    };
    expect(draft('<p>{{event.data.n}} {{event.data.ok}}</p>', data).html).toContain('0 false');
  });

  it('lets {{#if}} and {{default}} decide what an empty value shows', () => {
    const data = withFirstName(null);
    expect(
      draft(
        '<p>{{#if participant.firstName}}Hi {{participant.firstName}}{{else}}Hi{{/if}}, {{default participant.firstName "there"}}!</p>',
        data,
      ).html,
    ).toContain('<p>Hi, there!</p>');
    expect(
      draft('<p>{{default participant.firstName "there"}}</p>', withFirstName('Ana')).html,
    ).toContain('<p>Ana</p>');
  });

  it('escapes a value shown through the check as it escapes any value', () => {
    expect(
      draft(
        '<p title="{{participant.firstName}}">{{participant.firstName}}</p>',
        withFirstName('<b>"A"</b>'),
      ).html,
    ).toContain('<p title="&lt;b&gt;&quot;A&quot;&lt;/b&gt;">&lt;b&gt;&quot;A&quot;&lt;/b&gt;</p>');
  });

  it("checks a program's stored template when it is sent, in the counted environment too", async () => {
    const source: TemplateSource = {
      getOverride: (_program, key, locale): Promise<TemplateOverride | undefined> =>
        Promise.resolve(
          key === 'welcome' && locale === 'en'
            ? {
                subject: 'Welcome, {{participant.firstName}}!',
                html: '<p>Hi</p>',
                text: null,
                version: 1,
              }
            : undefined,
        ),
    };
    const programs = new TemplateRenderer({ source });
    const send = (firstName: string | null) =>
      programs.render({
        programId: 'p1',
        key: 'welcome',
        locales: ['en'],
        data: withFirstName(firstName),
      });
    await expect(send('Ana')).resolves.toMatchObject({ subject: 'Welcome, Ana!' });
    await expect(send(null)).rejects.toMatchObject({
      code: 'TEMPLATE_DATA_MISSING',
      part: 'subject',
      line: 1,
      column: 10,
    });
  });

  it('renders every default template with every optional variable empty', async () => {
    const defaults = renderer.defaultTemplates;
    for (const key of defaults.keys())
      for (const locale of defaults.locales(key)) {
        const data = withOptionalEmpty(key, sampleEmailData(key, locale)) as unknown as Record<
          string,
          unknown
        >;
        const out = await renderer.render({ programId: null, key, locales: [locale], data });
        expect(out.subject.trim()).not.toBe('');
      }
  });
});

describe(withOptionalEmpty.name, () => {
  it('empties every optional variable and keeps the required ones', () => {
    const data = withOptionalEmpty(
      'reward-earned',
      sampleEmailData('reward-earned'),
    ) as unknown as {
      participant: Record<string, unknown>;
      referrer: unknown;
      event: unknown;
      reward: Record<string, unknown>;
      program: Record<string, unknown>;
    };
    expect(data.participant).toMatchObject({
      firstName: null,
      lastName: null,
      locale: null,
      country: null,
      email: 'alex.carter@example.com',
    });
    expect(data.referrer).toBeNull();
    expect(data.event).toBeNull();
    expect(data.reward).toMatchObject({ currency: null, amount: 25 });
    expect(data.program).toMatchObject({
      fromName: null,
      replyTo: null,
      name: 'Brightside Rewards',
    });
  });
});
