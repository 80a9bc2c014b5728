import request from 'supertest';
import { DataSource } from 'typeorm';
import { ConsoleSession } from '../src/console/console-session.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type Agent = ReturnType<typeof request.agent>;
type Program = { id: string; secretKey: string; publishableKey: string };

const csrfOf = (html: string): string => {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1];
};

const setCookies = (res: request.Response): string[] => {
  const header = res.headers['set-cookie'] as unknown;
  return Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
};

const cookieNamed = (res: request.Response, name: string): string | undefined =>
  setCookies(res).find((c) => c.startsWith(`${name}=`));

describe('Console (HTTP)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let program: Program;
  let other: Program;

  /** A browser-like client that signed in with the key; returns it with the session's CSRF token. */
  const signIn = async (key: string): Promise<{ agent: Agent; csrf: string }> => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    const res = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: key });
    expect(res.status).toBe(303);
    const page = await agent.get('/console/rules');
    expect(page.status).toBe(200);
    return { agent, csrf: csrfOf(page.text) };
  };

  beforeAll(async () => {
    smtp = await SmtpTestServer.start({
      users: { 'owner@acme.test': 'owner-Secret-1', 'ana@acme.test': 'ana-Secret-2' },
      onRcptTo: (address) =>
        address.startsWith('bounce@') ? { code: 550, message: '5.1.1 No such user' } : undefined,
    });
    // The tests' requests come over loopback, as through a proxy on this machine.
    t = await startTestApp({ env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', TRUST_PROXY: 'loopback' } });
    program = await t.createProgram({ name: 'Acme <Referrals>' });
    other = await t.createProgram({ name: 'Other program' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('sends a visitor without a session to the sign-in page, and back afterwards', async () => {
    const res = await t.http.get('/console/rules?notice=rule-saved');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(
      '/console/sign-in?next=%2Fconsole%2Frules%3Fnotice%3Drule-saved',
    );

    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get(res.headers.location);
    expect(form.text).toContain('name="next" value="/console/rules?notice&#x3D;rule-saved"');
    const signedIn = await agent
      .post('/console/sign-in')
      .type('form')
      .send({
        _csrf: csrfOf(form.text),
        secretKey: program.secretKey,
        next: '/console/rules?notice=rule-saved',
      });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/console/rules?notice=rule-saved');
  });

  it('never redirects away from the console after sign-in', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in?next=//evil.example/x');
    expect(form.text).toContain('name="next" value=""');
    const res = await agent
      .post('/console/sign-in')
      .type('form')
      .send({
        _csrf: csrfOf(form.text),
        secretKey: program.secretKey,
        next: 'https://evil.example/',
      });
    expect(res.headers.location).toBe('/console/integrations');
  });

  it('shows an error on the sign-in page for a wrong or publishable key', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const csrf = csrfOf((await agent.get('/console/sign-in')).text);

    const wrong = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrf, secretKey: 'sk_not-a-real-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('This key does not belong to any program');
    expect(wrong.text).toMatch(/id="secret-key"[^>]*aria-invalid="true"/);
    expect(cookieNamed(wrong, 'rn_console')).toBeUndefined();

    const publishable = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrf, secretKey: program.publishableKey });
    expect(publishable.status).toBe(401);
    expect(publishable.text).toContain('This is a publishable key (pk_)');
  });

  it('refuses a sign-in form that did not come from the sign-in page', async () => {
    const res = await t.http
      .post('/console/sign-in')
      .type('form')
      .send({ secretKey: program.secretKey });
    expect(res.status).toBe(403);
    expect(cookieNamed(res, 'rn_console')).toBeUndefined();
  });

  it('keeps the session in an httpOnly, SameSite=Strict cookie scoped to /console', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    const res = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: program.secretKey });
    const cookie = cookieNamed(res, 'rn_console');
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(';').map((a) => a.trim());
    expect(attributes[0]).toMatch(/^rn_console=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/console', 'Max-Age=28800']),
    );
    expect(attributes).not.toContain('Secure');
    // The cookie holds a random id; the database only its hash.
    const id = attributes[0].slice('rn_console='.length);
    const rows = await t.app
      .get(DataSource)
      .getRepository(ConsoleSession)
      .findBy({ programId: program.id });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.idHash === id)).toBe(false);
  });

  it('marks the session cookie Secure behind an HTTPS proxy', async () => {
    const agent = request.agent(t.app.getHttpServer());
    // A cookie jar sends no Secure cookie over plain HTTP, so the form is fetched without the proxy header.
    const form = await agent.get('/console/sign-in');
    const res = await agent
      .post('/console/sign-in')
      .set('X-Forwarded-Proto', 'https')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: program.secretKey });
    expect(cookieNamed(res, 'rn_console')).toContain('; Secure');
  });

  it('refuses a POST without the CSRF token, or with another one, with 403', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const rule = {
      name: 'Forged',
      event: 'purchase',
      actions: '[{"type":"reward","to":"participant","kind":"points","amount":5,"currency":"USD"}]',
    };

    const missing = await agent.post('/console/rules').type('form').send(rule);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF_TOKEN_INVALID');

    const wrong = await agent
      .post('/console/rules')
      .type('form')
      .send({ ...rule, _csrf: `${csrf.slice(0, -2)}xx` });
    expect(wrong.status).toBe(403);

    // Another session's token is no good either.
    const { csrf: otherToken } = await signIn(other.secretKey);
    expect(
      (
        await agent
          .post('/console/rules')
          .type('form')
          .send({ ...rule, _csrf: otherToken })
      ).status,
    ).toBe(403);

    const rules = await t.http.get('/v1/rules').set(bearer(program.secretKey));
    expect(rules.body.items).toEqual([]);

    const ok = await agent
      .post('/console/rules')
      .type('form')
      .send({ ...rule, _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/console/rules?notice=rule-created');
    expect((await t.http.get('/v1/rules').set(bearer(program.secretKey))).body.items).toHaveLength(
      1,
    );
  });

  it('sets a strict Content-Security-Policy and refuses framing on console pages', async () => {
    const { agent } = await signIn(program.secretKey);
    for (const path of [
      '/console/sign-in',
      '/console/integrations',
      '/console/rules',
      '/console/templates',
      '/console/messages',
      '/console/participants',
    ]) {
      const res = await agent.get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-store');
      // Scripts come from the static route only.
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/\son[a-z]+="/);
    }
  });

  it('serves the email preview with its own sandboxed policy, framed by the console only', async () => {
    const { agent } = await signIn(program.secretKey);
    const res = await agent.get('/console/templates/verification/en/preview-frame');
    expect(res.status).toBe(200);
    // Scripts stay off; same-origin only so the console can size the frame to the email.
    expect(res.headers['content-security-policy']).toMatch(/^sandbox allow-same-origin; /);
    expect(res.headers['content-security-policy']).not.toContain('allow-scripts');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.text).toContain('<html');
  });

  it('escapes what marketers type', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const res = await agent.post('/console/rules').type('form').send({
      _csrf: csrf,
      name: '<img src=x onerror=alert(1)>',
      event: 'purchase',
      actions: '[{"type":"reward","to":"participant","kind":"points","amount":1,"currency":"USD"}]',
    });
    expect(res.status).toBe(303);
    const list = await agent.get('/console/rules');
    expect(list.text).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(list.text).not.toContain('<img src=x');
    // The program name in the header too.
    expect(list.text).toContain('Acme &lt;Referrals&gt;');
  });

  it('shows a rule that does not validate with its errors beside the field', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const notJson = await agent
      .post('/console/rules')
      .type('form')
      .send({ _csrf: csrf, name: 'Broken', event: 'purchase', actions: '[{"type": "email",}]' });
    expect(notJson.status).toBe(400);
    expect(notJson.text).toMatch(
      /id="rule-actions-error"[^>]*><p>Line 1, column \d+: not valid JSON/,
    );

    const badOperator = await agent.post('/console/rules').type('form').send({
      _csrf: csrf,
      name: 'Broken',
      event: 'purchase',
      conditions: '{"all":[{"fact":"event","path":"amount","operator":"biggerThan","value":1}]}',
      actions: '[{"type":"reward","to":"participant","kind":"points","amount":1,"currency":"USD"}]',
    });
    expect(badOperator.status).toBe(400);
    expect(badOperator.text).toMatch(/id="rule-conditions-error"[^>]*><p>[^<]*biggerThan/);
    expect(badOperator.text).toContain('RULE_INVALID');
  });

  it('does not overwrite a rule someone else saved since the form was opened', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const created = await t.http
      .post('/v1/rules')
      .set(bearer(program.secretKey))
      .send({
        name: 'Shared',
        event: 'signup',
        actions: [
          { type: 'reward', to: 'participant', kind: 'points', amount: 1, currency: 'USD' },
        ],
      });
    const form = await agent.get(`/console/rules/${created.body.id}`);
    expect(form.text).toContain('name="version" value="1"');
    await t.http
      .patch(`/v1/rules/${created.body.id}`)
      .set(bearer(program.secretKey))
      .send({ priority: 5 });

    const stale = await agent.post(`/console/rules/${created.body.id}`).type('form').send({
      _csrf: csrf,
      version: '1',
      name: 'Shared, edited',
      event: 'signup',
      priority: '0',
      enabled: 'on',
      conditions: '',
      actions: '[{"type":"reward","to":"participant","kind":"points","amount":1,"currency":"USD"}]',
    });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('it is now version 2');
    expect(stale.text).toContain('value="Shared, edited"');
    expect(
      (await t.http.get(`/v1/rules/${created.body.id}`).set(bearer(program.secretKey))).body.name,
    ).toBe('Shared');
  });

  it('shows only the signed-in program', async () => {
    const theirs = await t.http
      .post('/v1/rules')
      .set(bearer(other.secretKey))
      .send({
        name: 'Theirs',
        event: 'purchase',
        actions: [
          { type: 'reward', to: 'participant', kind: 'points', amount: 1, currency: 'USD' },
        ],
      });
    expect(theirs.status).toBe(201);
    const { agent, csrf } = await signIn(program.secretKey);
    expect((await agent.get(`/console/rules/${theirs.body.id}`)).status).toBe(404);
    expect(
      (
        await agent
          .post(`/console/rules/${theirs.body.id}/enabled`)
          .type('form')
          .send({ _csrf: csrf, enabled: 'false' })
      ).status,
    ).toBe(404);
    expect(
      (await t.http.get(`/v1/rules/${theirs.body.id}`).set(bearer(other.secretKey))).body.enabled,
    ).toBe(true);
  });

  it('ends the session on sign-out', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const out = await agent.post('/console/sign-out').type('form').send({ _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/console/sign-in?notice=signed-out');
    expect(cookieNamed(out, 'rn_console')).toContain('Max-Age=0');
    const after = await agent.get('/console/rules');
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/console\/sign-in/);
  });

  it('ends console sessions when the secret key is rotated', async () => {
    const mine = await t.createProgram({ name: 'Rotating' });
    const { agent } = await signIn(mine.secretKey);
    const rotated = await t.http
      .post('/v1/program/keys/rotate')
      .set(bearer(mine.secretKey))
      .send({ kind: 'secret' });
    expect(rotated.status).toBeLessThan(300);
    const res = await agent.get('/console/rules');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(
      '/console/sign-in?next=%2Fconsole%2Frules&notice=session-expired',
    );
  });

  it('speaks the Accept-Language of the browser, and the language picked in the switcher', async () => {
    const spanish = await t.http
      .get('/console/sign-in')
      .set('Accept-Language', 'es-MX,es;q=0.9,en;q=0.5');
    expect(spanish.text).toContain('<html lang="es">');
    expect(spanish.text).toContain('Clave secreta');

    const fallback = await t.http.get('/console/sign-in').set('Accept-Language', 'de-DE');
    expect(fallback.text).toContain('<html lang="en">');

    const agent = request.agent(t.app.getHttpServer());
    const pick = await agent.get('/console/sign-in?lang=pt-BR').set('Accept-Language', 'es');
    expect(pick.status).toBe(303);
    expect(pick.headers.location).toBe('/console/sign-in');
    expect(cookieNamed(pick, 'rn_console_lang')).toContain('SameSite=Strict');
    const portuguese = await agent.get('/console/sign-in').set('Accept-Language', 'es');
    expect(portuguese.text).toContain('<html lang="pt-BR">');
    expect(portuguese.text).toContain('Chave secreta');
  });

  it('serves the stylesheet and script from its static route, and nothing else from it', async () => {
    const js = await t.http.get('/console/assets/console.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await t.http.get('/console/assets/console.css')).headers['content-type']).toMatch(
      /^text\/css/,
    );
    expect((await t.http.get('/console/assets/..%2Fconsole.ts')).status).toBe(404);
    expect((await t.http.get('/console/assets/app.sqlite')).status).toBe(404);
  });

  it('keeps the console out of the API document', async () => {
    const doc = await t.http.get('/docs-json');
    expect(Object.keys(doc.body.paths as object).filter((p) => p.startsWith('/console'))).toEqual(
      [],
    );
  });

  it('pages through the message log and filters it', async () => {
    const mine = await t.createProgram({ name: 'Busy' });
    // Template tests go only to the program's own addresses: its participants.
    for (let i = 0; i < 27; i++) {
      if (i % 9 === 0 && i > 0) continue;
      await t.http
        .put(`/v1/participants/p${i}`)
        .set(bearer(mine.secretKey))
        .send({ email: i === 0 ? 'Special@Example.test' : `friend${i}@example.test` })
        .expect(201);
    }
    for (let i = 0; i < 27; i++) {
      const to = i % 9 === 0 ? 'Special@Example.test' : `friend${i}@example.test`;
      expect(
        (
          await t.http
            .post('/v1/templates/reward-earned/test')
            .set(bearer(mine.secretKey))
            .send({ to })
        ).status,
      ).toBe(202);
    }
    const { agent } = await signIn(mine.secretKey);
    const first = await agent.get('/console/messages');
    expect(first.text.match(/<tr>\s*<td><a href="\/console\/messages\//g)).toHaveLength(25);
    const next = /href="(\/console\/messages\?cursor&#x3D;[^"]+)" rel="next"/.exec(first.text);
    expect(next).not.toBeNull();
    const second = await agent.get(next![1].replace(/&#x3D;/g, '='));
    expect(second.text.match(/<tr>\s*<td><a href="\/console\/messages\//g)).toHaveLength(2);
    expect(second.text).toContain('First page');
    expect(second.text).not.toContain('rel="next"');

    const filtered = await agent.get(
      '/console/messages?to=special%40example.test&status=&template=reward-earned',
    );
    expect(filtered.text.match(/<tr>\s*<td><a href="\/console\/messages\//g)).toHaveLength(3);
    const refused = await agent.get('/console/messages?status=lost');
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/id="filter-status-error"><p>status must be one of/);
  });

  it('connects SMTP, adds a sender identity with its own test, and retries a failed message', async () => {
    const mine = await t.createProgram({ name: 'Senders' });
    const { agent, csrf } = await signIn(mine.secretKey);
    const connect = await agent
      .post('/console/integrations/smtp')
      .type('form')
      .send({
        _csrf: csrf,
        host: smtp.host,
        port: String(smtp.port),
        security: 'tls',
        username: 'owner@acme.test',
        password: 'owner-Secret-1',
        fromAddress: 'rewards@acme.test',
        fromName: '',
        testFromAddress: '',
      });
    expect(connect.status).toBe(200);
    expect(connect.text).toContain(`Connected to ${smtp.host}:${smtp.port} with TLS (STARTTLS)`);
    expect(connect.text).not.toContain('owner-Secret-1');

    const wrongLogin = await agent.post('/console/integrations/senders').type('form').send({
      _csrf: csrf,
      senderId: 'ana',
      email: 'ana@acme.test',
      password: 'nope',
      saveToSent: 'off',
      imapHost: '',
      imapPort: '',
      imapSecurity: 'ssl',
    });
    expect(wrongLogin.status).toBe(422);
    expect(wrongLogin.text).toContain('SMTP_AUTH_FAILED');

    const added = await agent.post('/console/integrations/senders').type('form').send({
      _csrf: csrf,
      senderId: 'ana',
      email: 'ana@acme.test',
      password: 'ana-Secret-2',
      saveToSent: 'off',
      imapHost: '',
      imapPort: '',
      imapSecurity: 'ssl',
    });
    expect(added.status).toBe(200);
    expect(added.text).toContain('Sender ana logged in and was saved.');
    expect(added.text).toContain('<th scope="row"><code>ana</code></th>');

    const before = smtp.received.length;
    const test = await agent
      .post('/console/integrations/senders/ana/test')
      .type('form')
      .send({ _csrf: csrf, to: 'boss@acme.test' });
    expect(test.status).toBe(200);
    expect(test.text).toContain('The server accepted the test email for boss@acme.test.');
    const mails = await smtp.waitForMessages(before + 1);
    expect(mails[before].envelope).toMatchObject({
      mailFrom: 'ana@acme.test',
      user: 'ana@acme.test',
    });

    // A recipient the server refuses for good: the message stops, shows why, and can be retried.
    await t.http
      .put('/v1/participants/bounce')
      .set(bearer(mine.secretKey))
      .send({ email: 'bounce@acme.test' })
      .expect(201);
    const queued = await t.http
      .post('/v1/templates/reward-earned/test')
      .set(bearer(mine.secretKey))
      .send({ to: 'bounce@acme.test' });
    const id = queued.body.messageId as string;
    await eventually(async () =>
      ['failed', 'suppressed'].includes(
        (await t.http.get(`/v1/messages/${id}`).set(bearer(mine.secretKey))).body.status,
      ),
    );
    const detail = await agent.get(`/console/messages/${id}`);
    expect(detail.text).toContain('Not delivered: the server refused it for good');
    expect(detail.text).toContain('5.1.1 No such user');
    // 5.1.1 suppressed the address: until it is lifted, Retry explains instead of queueing.
    await t.http
      .delete('/v1/suppressions/bounce@acme.test')
      .set(bearer(mine.secretKey))
      .expect(204);
    const retried = await agent
      .post(`/console/messages/${id}/retry`)
      .type('form')
      .send({ _csrf: csrf });
    expect(retried.status).toBe(303);
    expect(retried.headers.location).toBe(`/console/messages/${id}?notice=message-retried`);
    expect((await agent.get(retried.headers.location)).text).toContain(
      'The message was queued again.',
    );
    await eventually(
      async () =>
        (await t.http.get(`/v1/messages/${id}`).set(bearer(mine.secretKey))).body.attemptLog
          .length >= 2,
    );

    const disconnected = await agent
      .post('/console/integrations/smtp/disconnect')
      .type('form')
      .send({ _csrf: csrf });
    expect(disconnected.headers.location).toBe('/console/integrations?notice=smtp-disconnected');
    expect((await t.http.get('/v1/integrations/smtp').set(bearer(mine.secretKey))).status).toBe(
      404,
    );
  });

  it('previews a template draft with problems by line, saves it, and resets it to the default', async () => {
    const mine = await t.createProgram({ name: 'Templates' });
    const { agent, csrf } = await signIn(mine.secretKey);
    const editor = await agent.get('/console/templates/verification/es');
    expect(editor.status).toBe(200);
    expect(editor.text).toContain('lang="es">es</span>');

    const broken = await agent
      .post('/console/templates/verification/es/preview')
      .set('Accept', 'application/json')
      .type('form')
      .send({
        _csrf: csrf,
        subject: 'Hola',
        html: '<p>Hola</p>\n<p>{{participant.nickname}}</p>',
        text: '',
      });
    expect(broken.status).toBe(200);
    expect(broken.body.ok).toBe(false);
    expect(broken.body.problems[0]).toMatchObject({
      field: 'html',
      line: 2,
      where: expect.stringMatching(/^Line 2, column \d+$/),
    });

    const good = await agent
      .post('/console/templates/verification/es/preview')
      .set('Accept', 'application/json')
      .type('form')
      .send({
        _csrf: csrf,
        subject: 'Hola {{default participant.firstName "there"}}',
        html: '<p>Confirma: {{link verifyUrl "aquí"}}</p>',
        text: '',
      });
    expect(good.body).toMatchObject({
      ok: true,
      subject: expect.stringMatching(/^Hola \S+/),
      problems: [],
    });

    const frame = await agent
      .post('/console/templates/verification/es/preview-frame')
      .type('form')
      .send({ _csrf: csrf, subject: 'Hola', html: '<p>Vista previa en vivo</p>', text: '' });
    expect(frame.text).toContain('Vista previa en vivo');
    expect(frame.headers['content-security-policy']).toMatch(/^sandbox/);

    const saved = await agent.post('/console/templates/verification/es').type('form').send({
      _csrf: csrf,
      subject: 'Hola',
      html: '<p>Nuestra versión {{link verifyUrl "aquí"}}</p>',
      text: '',
    });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('Saved as version 1.');
    expect(
      (await t.http.get('/v1/templates/verification/es').set(bearer(mine.secretKey))).body.source,
    ).toBe('program');

    const invalid = await agent
      .post('/console/templates/verification/es')
      .type('form')
      .send({ _csrf: csrf, subject: 'Hola', html: '<p>{{#if}}</p>', text: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toMatch(/id="tpl-html-error"[^>]*><p>Line 1, column \d+: /);

    const reset = await agent
      .post('/console/templates/verification/es/reset')
      .type('form')
      .send({ _csrf: csrf });
    expect(reset.headers.location).toBe('/console/templates/verification/es?notice=template-reset');
    expect(
      (await t.http.get('/v1/templates/verification/es').set(bearer(mine.secretKey))).body.source,
    ).toBe('default');
  });
});
