import { TemplatesService } from '../src/templates/templates.service';
import { bearer, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

const ES_VERIFICATION = {
  subject: '{{program.name}}: confirma tu correo, {{participant.email}}',
  html: '<p>{{#if participant.firstName}}Hola {{participant.firstName}}{{else}}Hola{{/if}}</p>\n{{> button href=verifyUrl label="Confirmar"}}',
  text: 'Hola. Confirma: {{verifyUrl}}',
};

describe('Templates (e2e)', () => {
  let t: TestApp;
  let a: ProgramKeys;
  let b: ProgramKeys;
  let pt: ProgramKeys;
  let de: ProgramKeys;
  let templates: TemplatesService;

  const put = (p: ProgramKeys, path: string, body: Record<string, unknown>) =>
    t.http.put(`/v1/templates/${path}`).set(bearer(p.secretKey)).send(body);
  const preview = (p: ProgramKeys, key: string, body: Record<string, unknown> = {}) =>
    t.http.post(`/v1/templates/${key}/preview`).set(bearer(p.secretKey)).send(body);
  const participant = (p: ProgramKeys, id: string, body: Record<string, unknown>) =>
    t.http.put(`/v1/participants/${id}`).set(bearer(p.secretKey)).send(body).expect(201);

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createProgram({ name: 'Acme Rewards', timezone: 'America/New_York' });
    b = await t.createProgram({ name: 'Other Program' });
    pt = await t.createProgram({ name: 'Programa Brasil', defaultLocale: 'pt-BR' });
    de = await t.createProgram({ name: 'Programm', defaultLocale: 'de' });
    templates = t.app.get(TemplatesService);
    await participant(a, 'ana', { email: 'ana@example.com', firstName: 'Ana', locale: 'es' });
    await participant(pt, 'fr-1', { email: 'fr1@example.com', firstName: 'Chloé', locale: 'fr' });
    await participant(de, 'fr-2', { email: 'fr2@example.com', firstName: 'Luc', locale: 'fr' });
  });
  afterAll(() => t.close());

  it('lists every system key and generic with the defaults in en, es and pt-BR', async () => {
    const res = await t.http.get('/v1/templates').set(bearer(a.secretKey)).expect(200);
    const keys = res.body.items.map((i: { key: string }) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'verification',
        'password-reset',
        'w9-required',
        'payout-reminder',
        'reward-earned',
        'generic',
      ]),
    );
    const verification = res.body.items.find((i: { key: string }) => i.key === 'verification');
    expect(verification).toMatchObject({ kind: 'system', emailType: 'verification' });
    expect(verification.locales).toEqual([
      { locale: 'en', source: 'default' },
      { locale: 'es', source: 'default' },
      { locale: 'pt-BR', source: 'default' },
    ]);
    expect(res.body.items.find((i: { key: string }) => i.key === 'generic').kind).toBe('generic');
  });

  it('saves a Spanish override, shows it as the program’s, and counts versions', async () => {
    const created = await put(a, 'verification/es', ES_VERIFICATION).expect(201);
    expect(created.body).toMatchObject({
      key: 'verification',
      locale: 'es',
      source: 'program',
      version: 1,
      subject: ES_VERIFICATION.subject,
    });

    const got = await t.http
      .get('/v1/templates/verification/es')
      .set(bearer(a.secretKey))
      .expect(200);
    expect(got.body).toMatchObject({
      source: 'program',
      resolvedLocale: 'es',
      html: ES_VERIFICATION.html,
      text: ES_VERIFICATION.text,
      version: 1,
    });

    const again = await put(a, 'verification/es', { ...ES_VERIFICATION, text: null }).expect(200);
    expect(again.body).toMatchObject({ version: 2, text: null });
    await put(a, 'verification/es', ES_VERIFICATION).expect(200);

    const list = await t.http.get('/v1/templates').set(bearer(a.secretKey)).expect(200);
    const es = list.body.items
      .find((i: { key: string }) => i.key === 'verification')
      .locales.find((l: { locale: string }) => l.locale === 'es');
    expect(es).toMatchObject({ source: 'program', version: 3 });
    expect(typeof es.updatedAt).toBe('string');

    // Another program still has the default.
    const other = await t.http
      .get('/v1/templates/verification/es')
      .set(bearer(b.secretKey))
      .expect(200);
    expect(other.body).toMatchObject({ source: 'default', resolvedLocale: 'es', version: null });
  });

  it('shows the default a reader gets when a locale has no template of its own', async () => {
    const fr = await t.http
      .get('/v1/templates/password-reset/fr')
      .set(bearer(pt.secretKey))
      .expect(200);
    expect(fr.body).toMatchObject({
      key: 'password-reset',
      locale: 'fr',
      source: 'default',
      resolvedLocale: 'pt-BR',
    });
    const canonical = await t.http
      .get('/v1/templates/password-reset/pt_br')
      .set(bearer(a.secretKey))
      .expect(200);
    expect(canonical.body).toMatchObject({ locale: 'pt-BR', resolvedLocale: 'pt-BR' });
  });

  it('refuses a template that does not compile, with the line and column', async () => {
    const res = await put(a, 'verification/en', {
      subject: 'Hi',
      html: '<p>Hello</p>\n<p>{{participant.firstName}</p>',
    }).expect(400);
    expect(res.body.code).toBe('TEMPLATE_INVALID');
    expect(res.body.details).toEqual([
      expect.objectContaining({ part: 'html', line: 2, column: 27 }),
    ]);
    expect(res.body.details[0].message).toMatch(/^Syntax error/);
    expect(res.body.message).toContain('line 2, column 27');
  });

  it('refuses an unknown variable, naming it with the line and column', async () => {
    const res = await put(a, 'verification/en', {
      subject: 'Hi',
      html: '<p>Hi</p>\n  <p>{{participant.firstNmae}}</p>',
    }).expect(400);
    expect(res.body.code).toBe('TEMPLATE_INVALID');
    expect(res.body.details).toEqual([
      expect.objectContaining({
        part: 'html',
        line: 2,
        column: 8,
        message: 'Unknown variable "participant.firstNmae". Did you mean "participant.firstName"?',
      }),
    ]);
    const subject = await put(a, 'verification/en', {
      subject: 'Hi {{participant.nmae}}',
      html: '<p>x</p>',
    }).expect(400);
    expect(subject.body.details[0]).toMatchObject({ part: 'subject', line: 1, column: 6 });
    await t.http
      .get('/v1/templates/verification/en')
      .set(bearer(a.secretKey))
      .expect(200)
      .expect((r) => expect(r.body.source).toBe('default'));
  });

  it('refuses bad keys, locales, multi-line subjects and oversized bodies', async () => {
    const key = await put(a, 'Spring_Promo/en', { subject: 'x', html: 'x' }).expect(400);
    expect(key.body.code).toBe('TEMPLATE_KEY_INVALID');
    const locale = await put(a, 'verification/english', { subject: 'x', html: 'x' }).expect(400);
    expect(locale.body.code).toBe('LOCALE_INVALID');
    const subject = await put(a, 'verification/en', {
      subject: 'Hi\r\nBcc: x@evil.test',
      html: 'x',
    }).expect(400);
    expect(subject.body.details.map((d: { field: string }) => d.field)).toEqual(['subject']);
    const long = await put(a, 'verification/en', { subject: 'x'.repeat(301), html: 'x' }).expect(
      400,
    );
    expect(long.body.details.map((d: { field: string }) => d.field)).toEqual(['subject']);
    const big = await put(a, 'verification/en', {
      subject: 'x',
      html: 'é'.repeat(110 * 1024),
    }).expect(400);
    expect(big.body.details.map((d: { field: string }) => d.field)).toEqual(['html']);
    const nul = await put(a, 'verification/en', { subject: 'x', html: 'a\u0000b' }).expect(400);
    expect(nul.body.details.map((d: { field: string }) => d.field)).toEqual(['html']);
    const blank = await put(a, 'verification/en', { subject: '  ', html: '' }).expect(400);
    expect(blank.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'html',
      'subject',
    ]);
    const extra = await put(a, 'verification/en', { subject: 'x', html: 'x', from: 'y' }).expect(
      400,
    );
    expect(extra.body.code).toBe('VALIDATION_FAILED');
  });

  describe('preview', () => {
    it('uses the participant’s locale: es gets the Spanish override', async () => {
      const res = await preview(a, 'verification', { participantId: 'ana' }).expect(200);
      expect(res.body).toMatchObject({
        locale: 'es',
        source: 'program',
        resolvedKey: 'verification',
      });
      expect(res.body.subject).toBe('Acme Rewards: confirma tu correo, ana@example.com');
      expect(res.body.html).toContain('Hola Ana');
      expect(res.body.text).toContain('Hola. Confirma: https://');
    });

    it('falls back from fr to the program default pt-BR', async () => {
      const res = await preview(pt, 'verification', { participantId: 'fr-1' }).expect(200);
      expect(res.body).toMatchObject({ locale: 'pt-BR', source: 'default' });
      expect(res.body.subject).toContain('Programa Brasil');
      expect(res.body.html).toContain('Chloé');
      // Sample values for the rest are in the language shown.
      const sample = await preview(pt, 'reward-earned', { locale: 'fr' }).expect(200);
      expect(sample.body).toMatchObject({ locale: 'pt-BR' });
      expect(sample.body.html).toContain('Rafael');
    });

    it('falls back from fr and a program default de to en', async () => {
      const res = await preview(de, 'verification', { participantId: 'fr-2' }).expect(200);
      expect(res.body).toMatchObject({ locale: 'en', source: 'default' });
      expect(res.body.html).toContain('Luc');
    });

    it('puts the requested locale first', async () => {
      const res = await preview(a, 'verification', {
        participantId: 'ana',
        locale: 'pt-BR',
      }).expect(200);
      expect(res.body).toMatchObject({ locale: 'pt-BR', source: 'default' });
    });

    it('gives exactly what render() gives for the same participant', async () => {
      const res = await preview(a, 'verification', { participantId: 'ana' }).expect(200);
      const program = (await t.http.get('/v1/program').set(bearer(a.secretKey)).expect(200)).body;
      const ana = (await t.http.get('/v1/participants/ana').set(bearer(a.secretKey)).expect(200))
        .body;
      const sample = (
        await preview(a, 'verification', { participantId: 'ana', data: {} }).expect(200)
      ).body;
      expect(sample).toEqual(res.body);
      const verifyUrl = /href="([^"]+)"/.exec(res.body.html)![1];
      const data = templates.buildData('verification', {
        program,
        participant: ana,
        extra: { verifyUrl, expiresInHours: 24 },
      });
      const rendered = await templates.render({
        programId: a.id,
        key: 'verification',
        locales: [ana.locale, program.defaultLocale],
        data,
      });
      expect({
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        locale: rendered.locale,
        source: rendered.source,
      }).toEqual({
        subject: res.body.subject,
        html: res.body.html,
        text: res.body.text,
        locale: res.body.locale,
        source: res.body.source,
      });
    });

    it('renders sample data merged with the given data', async () => {
      const res = await preview(a, 'reward-earned', {
        locale: 'en',
        data: { recipient: { firstName: 'Zoe' }, reward: { amount: 40 } },
      }).expect(200);
      expect(res.body.html).toContain('Zoe');
      expect(res.body.html).toContain('$40.00');
      expect(res.body.html).toContain('Acme Rewards');
      const big = await preview(a, 'reward-earned', {
        data: { blob: 'x'.repeat(70 * 1024) },
      }).expect(400);
      expect(big.body.details[0].field).toBe('data');
      await preview(a, 'reward-earned', { data: ['not', 'an', 'object'] }).expect(400);
    });

    it('answers 404 for a participant of another program, and for an unknown one', async () => {
      const other = await preview(b, 'verification', { participantId: 'ana' }).expect(404);
      expect(other.body.code).toBe('NOT_FOUND');
      await preview(a, 'verification', { participantId: 'nobody' }).expect(404);
    });

    it('answers 404 TEMPLATE_NOT_FOUND for an unknown key', async () => {
      const res = await preview(a, 'no-such-key').expect(404);
      expect(res.body.code).toBe('TEMPLATE_NOT_FOUND');
    });

    it('answers 422 when the data does not fit the template', async () => {
      await put(a, 'password-reset/en', {
        subject: 'Reset',
        html: '<p>{{link participant.customFields.site "Your site"}}</p>',
      }).expect(201);
      const res = await preview(a, 'password-reset', { locale: 'en' }).expect(422);
      expect(res.body.code).toBe('TEMPLATE_RENDER_FAILED');
      expect(res.body.details[0]).toMatchObject({ part: 'html' });
      const fixed = await preview(a, 'password-reset', {
        locale: 'en',
        data: { participant: { customFields: { site: 'https://ana.example' } } },
      }).expect(200);
      expect(fixed.body.html).toContain('href="https://ana.example/"');
      await t.http.delete('/v1/templates/password-reset/en').set(bearer(a.secretKey)).expect(204);
    });
  });

  it('falls back to the default after DELETE, and answers 404 when there is nothing to delete', async () => {
    await put(a, 'w9-required/es', {
      subject: 'W-9 {{year}}',
      html: '<p>{{#if taxFormUrl}}Formulario: {{taxFormUrl}}{{/if}}</p>',
    }).expect(201);
    expect((await preview(a, 'w9-required', { locale: 'es' }).expect(200)).body).toMatchObject({
      source: 'program',
      subject: 'W-9 2026',
    });
    await t.http.delete('/v1/templates/w9-required/es').set(bearer(a.secretKey)).expect(204);
    const after = await preview(a, 'w9-required', { locale: 'es' }).expect(200);
    expect(after.body.source).toBe('default');
    expect(
      (await t.http.get('/v1/templates/w9-required/es').set(bearer(a.secretKey)).expect(200)).body
        .source,
    ).toBe('default');
    const again = await t.http
      .delete('/v1/templates/w9-required/es')
      .set(bearer(a.secretKey))
      .expect(404);
    expect(again.body.code).toBe('TEMPLATE_NOT_FOUND');
    // A new override after a delete is never served from an older compilation.
    await put(a, 'w9-required/es', { subject: 'Otra vez {{year}}', html: '<p>x</p>' }).expect(201);
    expect((await preview(a, 'w9-required', { locale: 'es' }).expect(200)).body.subject).toBe(
      'Otra vez 2026',
    );
  });

  it('serves every edit at once to the next render', async () => {
    for (const n of [1, 2, 3]) {
      await put(a, 'payout-reminder/en', {
        subject: `Reminder ${n} for {{participant.email}}`,
        html: '<p>{{reminderNumber}}</p>',
      });
      const res = await preview(a, 'payout-reminder', { locale: 'en' }).expect(200);
      expect(res.body.subject).toBe(`Reminder ${n} for alex.carter@example.com`);
    }
  });

  it('counts concurrent saves of one template as versions, creating it once', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        put(a, 'password-changed/es', { subject: `v${n}`, html: '<p>x</p>' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const got = await t.http
      .get('/v1/templates/password-changed/es')
      .set(bearer(a.secretKey))
      .expect(200);
    expect(got.body.version).toBe(5);
  });

  describe('a program’s own key', () => {
    it('is created by PUT with the generic variables, listed, and previewed', async () => {
      expect(await templates.templateExists(a.id, 'spring-promo')).toBe(false);
      const bad = await put(a, 'spring-promo/en', {
        subject: 'Promo',
        html: '<p>{{verifyUrl}}</p>',
      }).expect(400);
      expect(bad.body.details[0].message).toContain('Unknown variable "verifyUrl"');

      await put(a, 'spring-promo/en', {
        subject:
          'Spring is here, {{#if recipient.firstName}}{{recipient.firstName}}{{else}}friend{{/if}}',
        html: '<p>You did {{event.type}}.</p>{{#if reward}}<p>{{money reward.amount reward.currency}}</p>{{/if}}',
      }).expect(201);
      expect(await templates.templateExists(a.id, 'spring-promo')).toBe(true);
      expect(await templates.templateExists(b.id, 'spring-promo')).toBe(false);
      expect(await templates.templateExists(b.id, 'verification')).toBe(true);
      expect(await templates.listProgramKeys(a.id)).toEqual(['spring-promo']);

      const list = await t.http.get('/v1/templates').set(bearer(a.secretKey)).expect(200);
      expect(list.body.items.find((i: { key: string }) => i.key === 'spring-promo')).toMatchObject({
        kind: 'program',
        emailType: 'generic',
        locales: [{ locale: 'en', source: 'program', version: 1 }],
      });

      const res = await preview(a, 'spring-promo', {
        participantId: 'ana',
        data: { event: { type: 'purchase.completed' } },
      }).expect(200);
      // Ana reads Spanish; the key has only English, which is the end of her chain.
      expect(res.body).toMatchObject({
        subject: 'Spring is here, Ana',
        locale: 'en',
        source: 'program',
        resolvedKey: 'spring-promo',
      });
      expect(res.body.html).toContain('You did purchase.completed.');

      const other = await preview(b, 'spring-promo').expect(404);
      expect(other.body.code).toBe('TEMPLATE_NOT_FOUND');
    });

    it('shows the generic body for a locale chain the key has no template in', async () => {
      await put(pt, 'welcome-back/es', {
        subject: 'Hola de nuevo',
        html: '<p>{{program.name}}</p>',
      }).expect(201);
      const res = await t.http
        .get('/v1/templates/welcome-back/en')
        .set(bearer(pt.secretKey))
        .expect(200);
      expect(res.body).toMatchObject({
        key: 'welcome-back',
        source: 'default',
        resolvedKey: 'generic',
        resolvedLocale: 'en',
      });
      const shown = await preview(pt, 'welcome-back', { locale: 'en' }).expect(200);
      expect(shown.body).toMatchObject({ resolvedKey: 'generic', locale: 'en', source: 'default' });
      await t.http.get('/v1/templates/never-made/en').set(bearer(pt.secretKey)).expect(404);
    });
  });

  describe('test send', () => {
    // Template tests go only to the program's own addresses: its participants.
    beforeAll(async () => {
      await participant(a, 'qa', { email: 'qa@example.com' });
    });

    it('queues the preview rendering for one address', async () => {
      const res = await t.http
        .post('/v1/templates/verification/test')
        .set(bearer(a.secretKey))
        .send({ to: 'qa@example.com', participantId: 'ana' })
        .expect(202);
      expect(res.body).toMatchObject({ status: 'queued', locale: 'es', source: 'program' });
      expect(typeof res.body.messageId).toBe('string');
    });

    it('refuses line breaks in the address and unknown keys', async () => {
      const crlf = await t.http
        .post('/v1/templates/verification/test')
        .set(bearer(a.secretKey))
        .send({ to: 'qa@example.com\r\nBcc: x@evil.test' })
        .expect(400);
      expect(crlf.body.details.map((d: { field: string }) => d.field)).toEqual(['to']);
      const unknown = await t.http
        .post('/v1/templates/nope/test')
        .set(bearer(a.secretKey))
        .send({ to: 'qa@example.com' })
        .expect(404);
      expect(unknown.body.code).toBe('TEMPLATE_NOT_FOUND');
    });
  });

  it('needs the program secret key', async () => {
    await t.http.get('/v1/templates').expect(401);
    const program = await t.createProgram({ name: 'Keys' });
    await t.http.get('/v1/templates').set(bearer(program.publishableKey)).expect(403);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/templates',
        '/v1/templates/{key}/{locale}',
        '/v1/templates/{key}/preview',
        '/v1/templates/{key}/test',
      ]),
    );
  });
});
