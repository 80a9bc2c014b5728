import request from 'supertest';
import { DataSource } from 'typeorm';
import { ConsentService } from '../src/consent/consent.service';
import { ParticipantToken } from '../src/participant-auth/tokens/participant-token.entity';
import { PARTICIPANT_PAGES_CSP } from '../src/participant-pages/participant-pages-http.middleware';
import { oneTimeLink, pathOf, type ProgramKeys } from './support/participant-links';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const h1 = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
const formToken = (html: string) => /name="token" value="([^"]+)"/.exec(html)?.[1];

describe('Participant pages (e2e): verification landing, password reset, preferences', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let p: ProgramKeys;

  const put = (id: string, body: Record<string, unknown>) =>
    t.http
      .put(`/v1/participants/${id}`)
      .set(bearer(p.secretKey))
      .send(body)
      .expect((res) => expect([200, 201]).toContain(res.status));
  const verified = async (id: string) =>
    (await t.http.get(`/v1/participants/${id}`).set(bearer(p.secretKey)).expect(200)).body
      .emailVerified as boolean;

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        PUBLIC_BASE_URL: 'https://rewards.example.org',
        TOKEN_EMAILS_PER_ADDRESS_PER_HOUR: '20',
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '500',
      },
    });
    p = await t.createProgram({ name: 'Acme Club', defaultLocale: 'es' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe('email verification landing', () => {
    it('links to the hosted page without a microsite, confirms the address there, then says it is done', async () => {
      await put('ana', { email: 'ana@example.com', locale: 'pt-BR' });
      const link = await oneTimeLink(t, smtp, p, 'verification', 'ana@example.com');
      expect(link).toMatch(/^https:\/\/rewards\.example\.org\/p\/verify\?token=[A-Za-z0-9_-]{43}$/);

      const first = await t.http.get(pathOf(link)).expect(200);
      expect(first.headers['content-type']).toMatch(/^text\/html/);
      expect(first.text).toContain('<html lang="pt-BR">');
      expect(h1(first.text)).toBe('E-mail confirmado');
      expect(first.text).toContain('a•••@example.com');
      expect(first.text).not.toContain('ana@example.com');
      expect(await verified('ana')).toBe(true);

      // A second visit (another tab, a mail scanner before the person) is not an error.
      const again = await t.http.get(pathOf(link)).expect(200);
      expect(h1(again.text)).toBe('E-mail já confirmado');
    });

    it('explains an expired link and sends a new one that works', async () => {
      await put('bo', { email: 'bo@example.com', locale: 'en' });
      const link = await oneTimeLink(t, smtp, p, 'verification', 'bo@example.com');
      const token = new URL(link).searchParams.get('token')!;
      await t.app
        .get(DataSource)
        .getRepository(ParticipantToken)
        .update(
          { participantId: 'bo', purpose: 'verification' },
          { expiresAt: new Date(Date.now() - 1000) },
        );

      const expired = await t.http.get(pathOf(link)).expect(410);
      expect(h1(expired.text)).toBe('This link has expired');
      expect(formToken(expired.text)).toBe(token);
      expect(await verified('bo')).toBe(false);

      const before = smtp.received.length;
      const sent = await t.http.post('/p/verify/resend').type('form').send({ token }).expect(200);
      expect(h1(sent.text)).toBe('Check your inbox');
      const mail = await eventually(async () =>
        smtp.received.slice(before).find((m) => m.envelope.rcptTo.includes('bo@example.com')),
      );
      const fresh = /https:\/\/[^\s]+\/p\/verify\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '')![0];
      expect(fresh).not.toBe(link);
      expect(h1((await t.http.get(pathOf(fresh)).expect(200)).text)).toBe(
        'Email address confirmed',
      );
      expect(await verified('bo')).toBe(true);
    });

    it('explains a link sent to an address the participant no longer has, and confirms nothing', async () => {
      await put('cy', { email: 'cy@example.com', locale: 'es' });
      const link = await oneTimeLink(t, smtp, p, 'verification', 'cy@example.com');
      await put('cy', { email: 'cy.new@example.com', locale: 'es' });
      const page = await t.http.get(pathOf(link)).expect(410);
      expect(h1(page.text)).toBe('Este enlace se envió a otra dirección');
      expect(await verified('cy')).toBe(false);
    });

    it('answers a token that was never issued with 404, in the browser’s language', async () => {
      const page = await t.http
        .get('/p/verify?token=not-a-token-we-made')
        .set('Accept-Language', 'es-MX,es;q=0.9')
        .expect(404);
      expect(h1(page.text)).toBe('Este enlace no funciona');
      await t.http.get('/p/verify').expect(404);
      const resend = await t.http.post('/p/verify/resend').type('form').send({ token: 'x' });
      expect(resend.status).toBe(404);
    });
  });

  describe('password reset pages', () => {
    it('sets a password with the API’s rules on the hosted form, which then signs in', async () => {
      await put('dee', { email: 'dee@example.com' });
      const link = await oneTimeLink(t, smtp, p, 'password-reset', 'dee@example.com');
      expect(link).toMatch(/^https:\/\/rewards\.example\.org\/p\/reset-password\?token=/);
      const token = new URL(link).searchParams.get('token')!;

      // No locale of her own and no Accept-Language: the program's language.
      const form = await t.http.get(pathOf(link)).expect(200);
      expect(h1(form.text)).toBe('Elige una contraseña nueva');
      expect(form.text).toContain('autocomplete="new-password"');

      const short = await t.http
        .post('/p/reset-password')
        .type('form')
        .send({ token, password: 'short', confirm: 'short' })
        .expect(400);
      expect(short.text).toContain('Usa al menos 8 caracteres.');
      expect(short.text).toContain('aria-invalid="true"');

      const mismatch = await t.http
        .post('/p/reset-password')
        .type('form')
        .send({ token, password: 'correct-horse-9', confirm: 'correct-horse-8' })
        .expect(400);
      expect(mismatch.text).toContain('Las dos contraseñas no coinciden');

      const done = await t.http
        .post('/p/reset-password')
        .type('form')
        .send({ token, password: 'correct-horse-9', confirm: 'correct-horse-9' })
        .expect(200);
      expect(h1(done.text)).toBe('Tu contraseña cambió');

      await t.http
        .post('/v1/public/sessions')
        .set(bearer(p.publishableKey))
        .send({ email: 'dee@example.com', password: 'correct-horse-9' })
        .expect(200, { participantId: 'dee' });

      // The link is used up: the page says so and offers a new one.
      const used = await t.http.get(pathOf(link)).expect(410);
      expect(h1(used.text)).toBe('Este enlace ya se usó');
      expect(formToken(used.text)).toBe(token);
    });

    it('links the password-changed email to the hosted request form, which sends a reset link', async () => {
      const changed = await eventually(async () =>
        smtp.received.find(
          (m) =>
            m.envelope.rcptTo.includes('dee@example.com') &&
            /contraseña/i.test(m.subject ?? '') &&
            !/\?token=/.test(m.text ?? ''),
        ),
      );
      const requestLink = new RegExp(
        `https://rewards\\.example\\.org/p/reset-password\\?program=${p.id}`,
      ).exec(changed.text ?? '');
      expect(requestLink).not.toBeNull();

      const page = await t.http.get(pathOf(requestLink![0])).expect(200);
      expect(h1(page.text)).toBe('Restablece tu contraseña');

      const bad = await t.http
        .post('/p/reset-password/request')
        .type('form')
        .send({ program: p.id, email: 'not an address' })
        .expect(400);
      expect(bad.text).toContain('Escribe una dirección de correo como nombre@ejemplo.com.');

      const before = smtp.received.length;
      const sent = await t.http
        .post('/p/reset-password/request')
        .type('form')
        .send({ program: p.id, email: 'dee@example.com' })
        .expect(200);
      expect(h1(sent.text)).toBe('Revisa tu bandeja de entrada');
      await eventually(async () =>
        smtp.received
          .slice(before)
          .find(
            (m) =>
              m.envelope.rcptTo.includes('dee@example.com') &&
              /\/p\/reset-password\?token=/.test(m.text ?? ''),
          ),
      );

      // The same answer for an address without an account; nothing is sent to it.
      const unknown = await t.http
        .post('/p/reset-password/request')
        .type('form')
        .send({ program: p.id, email: 'nobody@example.com' })
        .expect(200);
      expect(h1(unknown.text)).toBe(h1(sent.text));
      await t.http
        .get('/p/reset-password?program=00000000-0000-4000-8000-000000000000')
        .expect(404);
    });
  });

  describe('preference page', () => {
    const consent = () => t.app.get(ConsentService);
    const preferences = async (id: string) =>
      (await t.http.get(`/v1/participants/${id}/preferences`).set(bearer(p.secretKey)).expect(200))
        .body.categories as Array<{ category: string; subscribed: boolean; source?: string }>;

    beforeAll(async () => {
      await put('eve', { email: 'eve@example.com', locale: 'en' });
    });

    it('shows every category with its state, and leaves the link’s category with one button', async () => {
      const link = consent().unsubscribeUrl(p.id, 'eve', 'marketing');
      expect(link).toMatch(/^https:\/\/rewards\.example\.org\/p\/unsubscribe\//);
      const page = await t.http.get(pathOf(link)).expect(200);
      expect(page.headers['content-security-policy']).toBe(PARTICIPANT_PAGES_CSP);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['referrer-policy']).toBe('same-origin');
      expect(page.text).toContain(
        'id="category-rewards" name="subscribed" value="rewards" checked',
      );
      expect(page.text).toContain(
        'id="category-marketing" name="subscribed" value="marketing" checked',
      );
      expect(page.text).toContain('Unsubscribe from “News and offers”');

      const form = pathOf(link).replace('/p/unsubscribe/', '/p/preferences/');
      const left = await t.http.post(form).type('form').send({ action: 'leave-one' }).expect(303);
      expect(left.headers.location).toBe(`${pathOf(link)}?done=left-one`);
      const after = await t.http.get(left.headers.location).expect(200);
      expect(after.text).toContain('You are unsubscribed from “News and offers”.');
      expect(after.text).toContain('value="marketing" aria-describedby');
      expect(after.text).not.toContain('value="marketing" checked');
      expect(await preferences('eve')).toEqual(
        expect.arrayContaining([
          { category: 'rewards', subscribed: true },
          expect.objectContaining({ category: 'marketing', subscribed: false, source: 'page' }),
        ]),
      );
    });

    it('saves a choice of categories, and leaves every one that can be left', async () => {
      const form = pathOf(consent().unsubscribeUrl(p.id, 'eve', 'rewards')).replace(
        '/p/unsubscribe/',
        '/p/preferences/',
      );
      // Back to marketing, off rewards: the checked boxes are what stays.
      await t.http.post(form).type('form').send('action=save&subscribed=marketing').expect(303);
      expect(await preferences('eve')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ category: 'rewards', subscribed: false }),
          expect.objectContaining({ category: 'marketing', subscribed: true }),
        ]),
      );
      const all = await t.http.post(form).type('form').send('action=leave-all').expect(303);
      expect(all.headers.location).toMatch(/\?done=left-all$/);
      expect((await preferences('eve')).every((c) => !c.subscribed)).toBe(true);
      const none = await t.http.post(form).type('form').send('action=leave-all').expect(303);
      expect(none.headers.location).toMatch(/\?done=nothing$/);
    });

    it('refuses an edited token, a form from another site, and changes nothing', async () => {
      await put('fin', { email: 'fin@example.com' });
      const path = pathOf(consent().unsubscribeUrl(p.id, 'fin', 'marketing'));
      // One character in the middle of the sealed part (the last one may carry only padding bits).
      const at = Math.floor(path.length * 0.75);
      const edited = path.slice(0, at) + (path[at] === 'Q' ? 'g' : 'Q') + path.slice(at + 1);
      await t.http.get(edited).expect(404);
      await t.http
        .post(edited.replace('/p/unsubscribe/', '/p/preferences/'))
        .type('form')
        .send({ action: 'leave-all' })
        .expect(404);

      const refused = await t.http
        .post(path.replace('/p/unsubscribe/', '/p/preferences/'))
        .set('Origin', 'https://attacker.example')
        .type('form')
        .send({ action: 'leave-all' })
        .expect(403);
      expect(h1(refused.text)).toBe('The form could not be read');
      expect((await preferences('fin')).every((c) => c.subscribed)).toBe(true);
    });
  });

  it('serves its stylesheet and nothing else from /p/assets', async () => {
    const css = await t.http.get('/p/assets/pages.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    await t.http.get('/p/assets/console.js').expect(404);
  });

  it('answers past the per-IP limit with a 429 page and Retry-After', async () => {
    const limited = await startTestApp({ env: { PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      let last: request.Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.http
          .get('/p/verify?token=nothing-here')
          .set('Accept-Language', 'pt-BR');
        statuses.push(last.status);
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      expect(h1(last!.text)).toBe('Solicitações demais');
    } finally {
      await limited.close();
    }
  });
});
