import request from 'supertest';
import { SuppressionsService } from '../src/suppressions/suppressions.service';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type Agent = ReturnType<typeof request.agent>;
type Program = { id: string; secretKey: string; publishableKey: string };

const csrfOf = (html: string): string => {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1];
};

// What Handlebars escapes in attribute values, undone to follow a link.
const unescapeHtml = (text: string) =>
  text
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'");

/** The rows of the suppressions table: each address, in order. */
const listedAddresses = (html: string): string[] =>
  [...html.matchAll(/<tr>\s*<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);

describe('Console: suppressions (HTTP)', () => {
  let t: TestApp;
  let program: Program;
  let suppressions: SuppressionsService;

  const signIn = async (key: string): Promise<{ agent: Agent; csrf: string }> => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    const res = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: key });
    expect(res.status).toBe(303);
    const page = await agent.get('/console/suppressions');
    expect(page.status).toBe(200);
    return { agent, csrf: csrfOf(page.text) };
  };
  const api = (path: string) => t.http.get(path).set(bearer(program.secretKey));

  beforeAll(async () => {
    t = await startTestApp();
    suppressions = t.app.get(SuppressionsService);
    program = await t.createProgram({ name: 'Acme' });
  });
  afterAll(() => t.close());

  it('lists suppressions in the navigation, searches by address and filters by reason', async () => {
    const mine = await t.createProgram({ name: 'Listed' });
    await suppressions.add(mine.id, 'zoe@acme.test', 'complaint', 'Marked as spam (abuse).');
    await suppressions.add(mine.id, 'yan@acme.test', 'rejected', '550 5.1.1 No such user', {
      code: 'SMTP_RECIPIENT_UNKNOWN',
      messageId: 'message-1',
    });
    await suppressions.add(mine.id, 'zack@acme.test', 'manual', 'Asked <us> to stop');
    const { agent } = await signIn(mine.secretKey);

    const page = await agent.get('/console/suppressions');
    expect(page.text).toContain(
      '<a href="/console/suppressions" aria-current="page">Suppressions</a>',
    );
    expect(listedAddresses(page.text).sort()).toEqual([
      'yan@acme.test',
      'zack@acme.test',
      'zoe@acme.test',
    ]);
    expect(page.text).toContain('Spam complaint');
    expect(page.text).toContain('All but transactional email');
    expect(page.text).toContain('<code>SMTP_RECIPIENT_UNKNOWN</code> 550 5.1.1 No such user');
    expect(page.text).toContain('<a href="/console/messages/message-1">');
    // What was typed is escaped.
    expect(page.text).toContain('Asked &lt;us&gt; to stop');
    // Every lift asks first, and carries the session's token.
    expect(page.text).toContain(
      'data-confirm="Lift the suppression of zoe@acme.test? Messages to it will be sent again."',
    );
    expect(page.text.match(/action="\/console\/suppressions\/lift"/g)).toHaveLength(3);

    const search = await agent.get('/console/suppressions?email=ZA&reason=');
    expect(listedAddresses(search.text)).toEqual(['zack@acme.test']);
    expect(search.text).toMatch(/id="filter-email"[^>]*value="ZA"/);
    const byReason = await agent.get('/console/suppressions?email=&reason=rejected');
    expect(listedAddresses(byReason.text)).toEqual(['yan@acme.test']);
    expect(byReason.text).toContain('<option value="rejected" selected>');
    const none = await agent.get('/console/suppressions?email=nobody');
    expect(none.text).toContain('No suppression matches.');
    const refused = await agent.get('/console/suppressions?reason=soft');
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/id="filter-reason-error"><p>reason must be one of/);

    const spanish = await agent.get('/console/suppressions?lang=es').redirects(1);
    expect(spanish.text).toContain('<h1>Supresiones</h1>');
    expect(spanish.text).toContain('Queja de spam');
    const portuguese = await agent.get('/console/suppressions?lang=pt-BR').redirects(1);
    expect(portuguese.text).toContain('<h1>Supressões</h1>');
    expect(portuguese.text).toContain('Denúncia de spam');
  });

  it('adds a manual suppression from its form, with the problem beside the field', async () => {
    const { agent, csrf } = await signIn(program.secretKey);

    const forged = await agent
      .post('/console/suppressions')
      .type('form')
      .send({ email: 'walt@acme.test' });
    expect(forged.status).toBe(403);

    const invalid = await agent
      .post('/console/suppressions')
      .type('form')
      .send({ _csrf: csrf, email: 'walt@bücher.de', note: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toMatch(/id="add-email"[^>]*aria-invalid="true"/);
    expect(invalid.text).toMatch(
      /id="add-email-error"[^>]*><p>email must have its domain in ASCII/,
    );
    expect(invalid.text).toContain('Some fields need a change');

    const added = await agent
      .post('/console/suppressions')
      .type('form')
      .send({ _csrf: csrf, email: ' Walt@Acme.test ', note: 'Left the company' });
    expect(added.status).toBe(303);
    expect(added.headers.location).toBe(
      '/console/suppressions?email=walt%40acme.test&notice=suppression-added',
    );
    const shown = await agent.get(added.headers.location);
    expect(shown.text).toContain(
      'The address is suppressed: nothing is sent to it until the suppression is lifted.',
    );
    expect(listedAddresses(shown.text)).toEqual(['walt@acme.test']);
    expect((await api('/v1/suppressions?email=walt').expect(200)).body.items).toEqual([
      expect.objectContaining({ reason: 'manual', detail: 'Left the company', scope: 'all' }),
    ]);

    const again = await agent
      .post('/console/suppressions')
      .type('form')
      .send({ _csrf: csrf, email: 'walt@acme.test', note: 'Twice' });
    expect(again.headers.location).toBe(
      '/console/suppressions?email=walt%40acme.test&notice=suppression-kept',
    );
    expect((await agent.get(again.headers.location)).text).toContain(
      'This address was already suppressed; its first reason is kept.',
    );
  });

  it('lifts a suppression, and says so when there is none to lift', async () => {
    await t.http
      .put('/v1/suppressions/vera@acme.test')
      .set(bearer(program.secretKey))
      .send({ note: 'Test' })
      .expect(201);
    const { agent, csrf } = await signIn(program.secretKey);

    const forged = await agent
      .post('/console/suppressions/lift')
      .type('form')
      .send({ email: 'vera@acme.test' });
    expect(forged.status).toBe(403);

    const lifted = await agent
      .post('/console/suppressions/lift')
      .type('form')
      .send({ _csrf: csrf, email: 'vera@acme.test' });
    expect(lifted.status).toBe(303);
    expect(lifted.headers.location).toBe('/console/suppressions?notice=suppression-lifted');
    expect((await agent.get(lifted.headers.location)).text).toContain(
      'The suppression was lifted: messages to the address are sent again',
    );
    expect((await api('/v1/suppressions?email=vera').expect(200)).body.items).toEqual([]);

    const none = await agent
      .post('/console/suppressions/lift')
      .type('form')
      .send({ _csrf: csrf, email: 'vera@acme.test' });
    expect(none.status).toBe(404);
    expect(none.text).toContain('This address is not suppressed');
    expect(none.text).toContain('SUPPRESSION_NOT_FOUND');
  });

  it('explains a Retry of a suppressed message, links to lifting it, and retries once lifted', async () => {
    const mine = await t.createProgram({ name: 'Retry' });
    const key = bearer(mine.secretKey);
    await t.http
      .put('/v1/participants/uma')
      .set(key)
      .send({ email: 'uma@acme.test', firstName: 'Uma' })
      .expect(201);
    await t.http.put('/v1/suppressions/uma@acme.test').set(key).send({}).expect(201);
    const queued = await t.http
      .post('/v1/templates/reward-earned/test')
      .set(key)
      .send({ to: 'uma@acme.test' })
      .expect(202);
    expect(queued.body.status).toBe('suppressed');
    const id = queued.body.messageId as string;
    const { agent, csrf } = await signIn(mine.secretKey);

    const detail = await agent.get(`/console/messages/${id}`);
    expect(detail.text).toContain('The address is suppressed');
    expect(detail.text).toContain(
      'Nothing is sent to uma@acme.test while it is suppressed (Added by hand). Lift the suppression, then retry the message.',
    );

    const retried = await agent
      .post(`/console/messages/${id}/retry`)
      .type('form')
      .send({ _csrf: csrf });
    expect(retried.status).toBe(409);
    expect(retried.text).toContain('This message cannot be sent while its address is suppressed');
    expect(retried.text).toContain('<code>RECIPIENT_SUPPRESSED</code>');
    expect(retried.text).not.toContain('The message was queued again.');
    const link = /<a href="([^"]+)">Lift the suppression<\/a>/.exec(retried.text);
    expect(link).not.toBeNull();
    const liftHref = unescapeHtml(link![1]);
    expect(liftHref).toBe(`/console/suppressions?email=uma%40acme.test&message=${id}`);
    // Nothing was queued: the message stays as it was.
    const still = await t.http.get(`/v1/messages/${id}`).set(key).expect(200);
    expect(still.body).toMatchObject({ status: 'suppressed', attempts: 0, attemptLog: [] });

    const liftPage = await agent.get(liftHref);
    expect(listedAddresses(liftPage.text)).toEqual(['uma@acme.test']);
    expect(liftPage.text).toContain(`<input type="hidden" name="message" value="${id}">`);
    const lifted = await agent
      .post('/console/suppressions/lift')
      .type('form')
      .send({ _csrf: csrf, email: 'uma@acme.test', message: id });
    expect(lifted.status).toBe(303);
    expect(lifted.headers.location).toBe(`/console/messages/${id}?notice=suppression-lifted`);
    const back = await agent.get(lifted.headers.location);
    expect(back.text).toContain('The suppression was lifted');
    expect(back.text).not.toContain('The address is suppressed');

    const again = await agent
      .post(`/console/messages/${id}/retry`)
      .type('form')
      .send({ _csrf: csrf });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(`/console/messages/${id}?notice=message-retried`);
    await eventually(
      async () => (await t.http.get(`/v1/messages/${id}`).set(key)).body.status === 'sent',
    );
  });

  it('shows a participant’s suppression on their page', async () => {
    const mine = await t.createProgram({ name: 'People' });
    const key = bearer(mine.secretKey);
    await t.http
      .put('/v1/participants/tess')
      .set(key)
      .send({ email: 'Tess@Acme.test' })
      .expect(201);
    const { agent } = await signIn(mine.secretKey);

    const clear = await agent.get('/console/participants?id=tess');
    expect(clear.text).toContain('None: messages to this address are sent.');

    await suppressions.add(mine.id, 'tess@acme.test', 'complaint', 'Marked as spam (abuse).');
    const page = await agent.get('/console/participants?id=tess');
    expect(page.text).toContain('<span class="badge bad">Spam complaint</span>');
    expect(page.text).toContain('All but transactional email');
    expect(page.text).toContain('Marked as spam (abuse).');
    expect(page.text).toContain(
      '<a href="/console/suppressions?email&#x3D;tess%40acme.test">See it on the Suppressions page',
    );
  });
});
