import request from 'supertest';
import { DataSource } from 'typeorm';
import { ConsoleSession } from '../src/console/console-session.entity';
import { bearer, startTestApp, type TestApp } from './support/test-app';

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

const cookieNamed = (res: request.Response, name: string): string | undefined => setCookies(res).find((c) => c.startsWith(`${name}=`));

describe('Console (HTTP)', () => {
  let t: TestApp;
  let program: Program;
  let other: Program;

  /** A browser-like client that signed in with the key; returns it with the session's CSRF token. */
  const signIn = async (key: string): Promise<{ agent: Agent; csrf: string }> => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    const res = await agent.post('/console/sign-in').type('form').send({ _csrf: csrfOf(form.text), secretKey: key });
    expect(res.status).toBe(303);
    const page = await agent.get('/console/rules');
    expect(page.status).toBe(200);
    return { agent, csrf: csrfOf(page.text) };
  };

  beforeAll(async () => {
    t = await startTestApp();
    program = await t.createProgram({ name: 'Acme <Referrals>' });
    other = await t.createProgram({ name: 'Other program' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends a visitor without a session to the sign-in page, and back afterwards', async () => {
    const res = await t.http.get('/console/rules?notice=rule-saved');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Frules%3Fnotice%3Drule-saved');

    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get(res.headers.location as string);
    expect(form.text).toContain('name="next" value="/console/rules?notice&#x3D;rule-saved"');
    const signedIn = await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: program.secretKey, next: '/console/rules?notice=rule-saved' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/console/rules?notice=rule-saved');
  });

  it('never redirects away from the console after sign-in', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in?next=//evil.example/x');
    expect(form.text).toContain('name="next" value=""');
    const res = await agent.post('/console/sign-in').type('form').send({ _csrf: csrfOf(form.text), secretKey: program.secretKey, next: 'https://evil.example/' });
    expect(res.headers.location).toBe('/console/integrations');
  });

  it('shows an error on the sign-in page for a wrong or publishable key', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const csrf = csrfOf((await agent.get('/console/sign-in')).text);

    const wrong = await agent.post('/console/sign-in').type('form').send({ _csrf: csrf, secretKey: 'sk_not-a-real-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('This key does not belong to any program');
    expect(wrong.text).toMatch(/id="secret-key"[^>]*aria-invalid="true"/);
    expect(cookieNamed(wrong, 'rn_console')).toBeUndefined();

    const publishable = await agent.post('/console/sign-in').type('form').send({ _csrf: csrf, secretKey: program.publishableKey });
    expect(publishable.status).toBe(401);
    expect(publishable.text).toContain('This is a publishable key (pk_)');
  });

  it('refuses a sign-in form that did not come from the sign-in page', async () => {
    const res = await t.http.post('/console/sign-in').type('form').send({ secretKey: program.secretKey });
    expect(res.status).toBe(403);
    expect(cookieNamed(res, 'rn_console')).toBeUndefined();
  });

  it('keeps the session in an httpOnly, SameSite=Strict cookie scoped to /console', async () => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    const res = await agent.post('/console/sign-in').type('form').send({ _csrf: csrfOf(form.text), secretKey: program.secretKey });
    const cookie = cookieNamed(res, 'rn_console');
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(';').map((a) => a.trim());
    expect(attributes[0]).toMatch(/^rn_console=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/console', 'Max-Age=28800']));
    expect(attributes).not.toContain('Secure');
    // The cookie holds a random id; the database only its hash.
    const id = attributes[0].slice('rn_console='.length);
    const rows = await t.app.get(DataSource).getRepository(ConsoleSession).findBy({ programId: program.id });
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
    const rule = { name: 'Forged', event: 'purchase', actions: '[{"type":"reward","to":"participant","kind":"points","amount":5,"currency":"USD"}]' };

    const missing = await agent.post('/console/rules').type('form').send(rule);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF_TOKEN_INVALID');

    const wrong = await agent.post('/console/rules').type('form').send({ ...rule, _csrf: `${csrf.slice(0, -2)}xx` });
    expect(wrong.status).toBe(403);

    // Another session's token is no good either.
    const { csrf: otherToken } = await signIn(other.secretKey);
    expect((await agent.post('/console/rules').type('form').send({ ...rule, _csrf: otherToken })).status).toBe(403);

    const rules = await t.http.get('/v1/rules').set(bearer(program.secretKey));
    expect(rules.body.items).toEqual([]);

    const ok = await agent.post('/console/rules').type('form').send({ ...rule, _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/console/rules?notice=rule-created');
    expect((await t.http.get('/v1/rules').set(bearer(program.secretKey))).body.items).toHaveLength(1);
  });

  it('sets a strict Content-Security-Policy and refuses framing on console pages', async () => {
    const { agent } = await signIn(program.secretKey);
    for (const path of ['/console/sign-in', '/console/integrations', '/console/rules', '/console/templates', '/console/messages', '/console/participants']) {
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
    expect(res.headers['content-security-policy']).toMatch(/^sandbox; /);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.text).toContain('<html');
  });

  it('escapes what marketers type', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const res = await agent
      .post('/console/rules')
      .type('form')
      .send({ _csrf: csrf, name: '<img src=x onerror=alert(1)>', event: 'purchase', actions: '[{"type":"reward","to":"participant","kind":"points","amount":1,"currency":"USD"}]' });
    expect(res.status).toBe(303);
    const list = await agent.get('/console/rules');
    expect(list.text).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(list.text).not.toContain('<img src=x');
    // The program name in the header too.
    expect(list.text).toContain('Acme &lt;Referrals&gt;');
  });

  it('shows a rule that does not validate with its errors beside the field', async () => {
    const { agent, csrf } = await signIn(program.secretKey);
    const notJson = await agent.post('/console/rules').type('form').send({ _csrf: csrf, name: 'Broken', event: 'purchase', actions: '[{"type": "email",}]' });
    expect(notJson.status).toBe(400);
    expect(notJson.text).toMatch(/id="rule-actions-error"[^>]*><p>Line 1, column \d+: not valid JSON/);

    const badOperator = await agent
      .post('/console/rules')
      .type('form')
      .send({
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

  it('shows only the signed-in program', async () => {
    const theirs = await t.http
      .post('/v1/rules')
      .set(bearer(other.secretKey))
      .send({ name: 'Theirs', event: 'purchase', actions: [{ type: 'reward', to: 'participant', kind: 'points', amount: 1, currency: 'USD' }] });
    expect(theirs.status).toBe(201);
    const { agent, csrf } = await signIn(program.secretKey);
    expect((await agent.get(`/console/rules/${theirs.body.id}`)).status).toBe(404);
    expect((await agent.post(`/console/rules/${theirs.body.id}/enabled`).type('form').send({ _csrf: csrf, enabled: 'false' })).status).toBe(404);
    expect((await t.http.get(`/v1/rules/${theirs.body.id}`).set(bearer(other.secretKey))).body.enabled).toBe(true);
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
    const rotated = await t.http.post('/v1/program/keys/rotate').set(bearer(mine.secretKey)).send({ kind: 'secret' });
    expect(rotated.status).toBeLessThan(300);
    const res = await agent.get('/console/rules');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Frules&notice=session-expired');
  });

  it('speaks the Accept-Language of the browser, and the language picked in the switcher', async () => {
    const spanish = await t.http.get('/console/sign-in').set('Accept-Language', 'es-MX,es;q=0.9,en;q=0.5');
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
    expect((await t.http.get('/console/assets/console.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await t.http.get('/console/assets/..%2Fconsole.ts')).status).toBe(404);
    expect((await t.http.get('/console/assets/app.sqlite')).status).toBe(404);
  });

  it('keeps the console out of the API document', async () => {
    const doc = await t.http.get('/docs-json');
    expect(Object.keys(doc.body.paths as object).filter((p) => p.startsWith('/console'))).toEqual([]);
  });
});
