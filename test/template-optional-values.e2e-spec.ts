import { TemplateOverrideStore } from '../src/templates/template-override.store';
import { TemplatesService } from '../src/templates/templates.service';
import request from 'supertest';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

// A participant may have no first name: "Welcome, {{participant.firstName}}!" must never go out
// as "Welcome, !". It is refused at save with the fix; a fallback renders; a template stored
// before the check fails the message with TEMPLATE_DATA_MISSING instead of sending a blank.
describe('Templates: optional variables (e2e)', () => {
  let t: TestApp;
  let p: ProgramKeys;

  beforeAll(async () => {
    t = await startTestApp();
    p = await t.createProgram({ name: 'Acme' });
  });
  afterAll(() => t?.close());

  const messageOf = (eventId: string) =>
    eventually(async () => {
      const event = await t.http.get(`/v1/events/${eventId}`).set(bearer(p.secretKey));
      const messageId = (
        event.body.results as Array<{ actions: Array<{ messageId?: string }> }> | undefined
      )
        ?.flatMap((r) => r.actions)
        .find((a) => a.messageId)?.messageId;
      if (!messageId) return undefined;
      const res = await t.http.get(`/v1/messages/${messageId}`).set(bearer(p.secretKey));
      return ['sent', 'failed'].includes(res.body.status as string) ? res.body : undefined;
    }, 30000);

  // A rule may only name a template that exists: each test makes its rule after its template.
  const rule = (event: string, template: string) =>
    t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({ name: event, event, actions: [{ type: 'email', template, to: 'participant' }] })
      .expect(201);

  const signup = async (type: string, participant: Record<string, unknown>) => {
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({ type, participant })
      .expect(202);
    return messageOf(res.body.id as string);
  };

  it('refuses "Welcome, {{participant.firstName}}!" at save, with the line, the column and the fix', async () => {
    const res = await t.http
      .put('/v1/templates/welcome/en')
      .set(bearer(p.secretKey))
      .send({
        subject: 'Welcome, {{participant.firstName}}!',
        html: '<h1>Welcome, {{participant.firstName}}!</h1>',
      })
      .expect(400);
    const fix =
      '"participant.firstName" is optional and can be empty, which would leave a blank. Give a fallback, {{default participant.firstName "there"}}, or show it only when it is there: {{#if participant.firstName}}…{{participant.firstName}}…{{/if}}.';
    expect(res.body).toMatchObject({
      code: 'TEMPLATE_INVALID',
      message: `The template has 2 problems. subject, line 1, column 10: ${fix}`,
      details: [
        { part: 'subject', line: 1, column: 10, message: fix },
        { part: 'html', line: 1, column: 14, message: fix },
      ],
    });
  });

  it('sends the fallback to a participant without a first name, and the name to one with it', async () => {
    await t.http
      .put('/v1/templates/welcome/en')
      .set(bearer(p.secretKey))
      .send({
        subject: 'Welcome, {{default participant.firstName "there"}}!',
        html: '<h1>Welcome{{#if participant.firstName}}, {{participant.firstName}}{{/if}}!</h1>',
      })
      .expect(201);
    await rule('signup', 'welcome');

    const nameless = await signup('signup', { id: 'u1', email: 'u1@example.com' });
    expect(nameless).toMatchObject({ status: 'sent', subject: 'Welcome, there!' });
    expect(nameless.content.html).toContain('<h1>Welcome!</h1>');

    const named = await signup('signup', { id: 'u2', email: 'u2@example.com', firstName: 'Ana' });
    expect(named).toMatchObject({ status: 'sent', subject: 'Welcome, Ana!' });
    expect(named.content.html).toContain('<h1>Welcome, Ana!</h1>');
  });

  it('previews with sample data whose optional fields are empty', async () => {
    const preview = (body: Record<string, unknown>) =>
      t.http
        .post('/v1/templates/welcome/preview')
        .set(bearer(p.secretKey))
        .send({ locale: 'en', ...body })
        .expect(200);
    expect((await preview({})).body.subject).toBe('Welcome, Alex!');
    expect((await preview({ sample: 'filled' })).body.subject).toBe('Welcome, Alex!');
    const empty = await preview({ sample: 'optional-empty' });
    expect(empty.body.subject).toBe('Welcome, there!');
    expect(empty.body.html).toContain('<h1>Welcome!</h1>');

    const wrong = await t.http
      .post('/v1/templates/welcome/preview')
      .set(bearer(p.secretKey))
      .send({ sample: 'empty' })
      .expect(400);
    expect(wrong.body.details).toEqual([expect.objectContaining({ field: 'sample' })]);
  });

  it('offers the same in the console editor: its live preview with the optional fields empty, and the refusal beside the field', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const form = await agent.get('/console/sign-in');
    await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: p.secretKey })
      .expect(303);
    const editor = await agent.get('/console/templates/welcome/en').expect(200);
    expect(editor.text).toContain('name="sample" value="optional-empty"');
    expect(editor.text).toContain('Preview with the optional fields empty');
    const csrf = csrfOf(editor.text);
    const preview = (fields: Record<string, string>) =>
      agent
        .post('/console/templates/welcome/en/preview')
        .set('Accept', 'application/json')
        .type('form')
        .send({ _csrf: csrf, html: '<p>x</p>', text: '', ...fields })
        .expect(200);
    const subject = 'Welcome, {{default participant.firstName "there"}}!';
    expect((await preview({ subject })).body).toMatchObject({
      ok: true,
      subject: 'Welcome, Alex!',
    });
    expect((await preview({ subject, sample: 'optional-empty' })).body).toMatchObject({
      ok: true,
      subject: 'Welcome, there!',
    });
    const bare = await preview({ subject: 'Welcome, {{participant.firstName}}!' });
    expect(bare.body).toMatchObject({
      ok: false,
      problems: [
        expect.objectContaining({
          field: 'subject',
          line: 1,
          column: 10,
          message: expect.stringContaining('{{default participant.firstName "there"}}') as string,
        }),
      ],
    });
  });

  it('fails a message whose template, stored before the check, shows an empty value: TEMPLATE_DATA_MISSING, never a blank', async () => {
    // As a template saved by an earlier version was stored: the check of a save never saw it.
    await t.app.get(TemplateOverrideStore).save(p.id, 'legacy-welcome', 'en', {
      subject: 'Welcome, {{participant.firstName}}!',
      html: '<p>Hello</p>',
      text: null,
    });
    t.app.get(TemplatesService).changed(p.id, 'legacy-welcome', 'en');
    await rule('signup-legacy', 'legacy-welcome');

    const failed = await signup('signup-legacy', { id: 'u3', email: 'u3@example.com' });
    expect(failed).toMatchObject({
      status: 'failed',
      error: {
        code: 'TEMPLATE_DATA_MISSING',
        permanent: true,
        message: expect.stringContaining(
          'failed in its subject part: "participant.firstName" is empty for this message',
        ) as string,
      },
    });
    expect(failed.sentAt ?? null).toBeNull();

    // With the value there, the same template sends.
    const sent = await signup('signup-legacy', {
      id: 'u4',
      email: 'u4@example.com',
      firstName: 'Bo',
    });
    expect(sent).toMatchObject({ status: 'sent', subject: 'Welcome, Bo!' });

    // Its preview with the optional fields empty says the same, where.
    const preview = await t.http
      .post('/v1/templates/legacy-welcome/preview')
      .set(bearer(p.secretKey))
      .send({ sample: 'optional-empty' })
      .expect(422);
    expect(preview.body).toMatchObject({
      code: 'TEMPLATE_DATA_MISSING',
      details: [{ part: 'subject', line: 1, column: 10 }],
    });
  });
});
