import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppLogger, LOGGER } from '../src/common/logging/logging.module';
import { Message } from '../src/messages/message.entity';
import {
  bearer,
  eventually,
  startTestApp,
  TEST_ADMIN_TOKEN,
  type TestApp,
} from './support/test-app';

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** What an audit found outside the larger fixes, each performed as the attacker did first. */
describe('Hardening (e2e)', () => {
  let t: TestApp;
  let p: { id: string; secretKey: string; publishableKey: string };

  beforeAll(async () => {
    t = await startTestApp();
    p = await t.createProgram({ name: 'Hardened' });
  });
  afterAll(() => t.close());

  const signIn = async () => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: p.secretKey })
      .expect(303);
    const page = await agent.get('/console/rules/new');
    return { agent, csrf: csrfOf(page.text) };
  };

  it('never redirects the language switch out of the console', async () => {
    for (const path of [
      '/console/..//evil.example?lang=es',
      '/console/.././/evil.example?lang=es',
    ]) {
      const res = await t.http.get(path);
      if (res.status !== 303) continue;
      expect(res.headers.location).toMatch(/^\/console/);
      expect(res.headers.location).not.toMatch(/^\/\//);
    }
    const ok = await t.http.get('/console/sign-in?lang=pt-BR').expect(303);
    expect(ok.headers.location).toBe('/console/sign-in');
  });

  it('refuses __proto__ and deep nesting in console JSON as the API does, without a 500', async () => {
    const { agent, csrf } = await signIn();
    const form = (conditions: string) =>
      agent.post('/console/rules').type('form').send({
        _csrf: csrf,
        name: 'Hostile',
        event: 'purchase',
        enabled: 'on',
        conditions,
        actions:
          '[{"type":"reward","to":"participant","kind":"points","amount":5,"currency":"USD"}]',
      });
    const proto = await form('{"__proto__": {"all": []}}');
    expect(proto.status).toBe(400);
    expect(proto.text).toContain('The key &quot;__proto__&quot; is not allowed');
    const deep = await form(nested(5000));
    expect(deep.status).toBe(400);
    expect(deep.text).toContain('more than 64 deep');

    const api = await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .type('json')
      .send(`{"name":"x","event":"e","actions":[],"conditions":${nested(5000)}}`);
    expect(api.status).toBe(400);
    expect(api.body.code).toBe('JSON_TOO_DEEP');
  });

  it('keeps key-bearing answers out of caches', async () => {
    const created = await t.http
      .post('/v1/programs')
      .set(bearer(TEST_ADMIN_TOKEN))
      .send({ name: 'Cached?' })
      .expect(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const rotated = await t.http
      .post('/v1/program/keys/rotate')
      .set(bearer(created.body.secretKey as string))
      .send({ kind: 'publishable' });
    expect(rotated.status).toBeLessThan(300);
    expect(rotated.headers['cache-control']).toBe('no-store');
  });

  it('shows no server file path in a message', async () => {
    // Template tests go only to the program's own addresses: its participants.
    await t.http
      .put('/v1/participants/qa')
      .set(bearer(p.secretKey))
      .send({ email: 'qa@example.com' })
      .expect(201);
    await t.http
      .post('/v1/templates/generic/test')
      .set(bearer(p.secretKey))
      .send({ to: 'qa@example.com' });
    const sent = await eventually(async () => {
      const rows = await t.app.get(DataSource).getRepository(Message).findBy({ programId: p.id });
      return rows.find((m) => m.status === 'sent');
    });
    const detail = await t.http.get(`/v1/messages/${sent.id}`).set(bearer(p.secretKey)).expect(200);
    expect(detail.body.serverResponse).not.toContain(t.dataDir);
    expect(JSON.stringify(detail.body)).not.toMatch(/\/outbox\//);
  });

  describe('the client address', () => {
    const signInPublic = (app: TestApp, ip: string, n: number) =>
      app.http
        .post('/v1/public/sessions')
        .set(bearer(p.publishableKey))
        .set('X-Forwarded-For', ip)
        .send({ email: `nobody${n}@example.com`, password: 'wrong-password-1' });

    it('is not taken from X-Forwarded-For unless TRUST_PROXY names the proxy', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++)
        statuses.push((await signInPublic(t, `203.0.113.${i}`, i)).status);
      // 30 a minute from one address (PUBLIC_RATE_LIMIT_IP_PER_MINUTE): a forged header does not reset it.
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    });

    it('is the forwarded one behind a trusted proxy, and is what the request log shows', async () => {
      const behind = await startTestApp({ env: { TRUST_PROXY: 'loopback' } });
      try {
        const program = await behind.createProgram({ name: 'Behind a proxy' });
        const logger = behind.app.get<AppLogger>(LOGGER);
        const info = jest.spyOn(logger, 'info');
        const statuses: number[] = [];
        for (let i = 0; i < 35; i++) {
          const res = await behind.http
            .post('/v1/public/sessions')
            .set(bearer(program.publishableKey))
            .set('X-Forwarded-For', `198.51.100.${i}`)
            .send({ email: `nobody${i}@example.com`, password: 'wrong-password-1' });
          statuses.push(res.status);
        }
        expect(statuses.filter((s) => s === 429)).toEqual([]);
        const lines = info.mock.calls
          .filter(([, msg]) => msg === 'request completed')
          .map(([line]) => (line as { req: { remoteAddress: string } }).req.remoteAddress);
        expect(lines).toContain('198.51.100.7');
      } finally {
        await behind.close();
      }
    });
  });
});
