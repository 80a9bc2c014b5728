import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DataSource, IsNull } from 'typeorm';
import { ConsentService } from '../src/consent/consent.service';
import { ParticipantToken } from '../src/participant-auth/tokens/participant-token.entity';
import { oneTimeLink, pathOf, type ProgramKeys } from './support/participant-links';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, startTestApp, type TestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run); elsewhere the suite is skipped rather than failing on a missing browser.
const describeInBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

// PARTICIPANT_PAGES_SCREENSHOTS=1 writes the pictures the README shows; otherwise a temporary folder.
const SHOTS = process.env.PARTICIPANT_PAGES_SCREENSHOTS
  ? resolve(__dirname, '..', 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'rn-pages-shots-'));

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** What each page says, per language: the test reads the page as its reader would. */
const COPY = {
  en: {
    verified: 'Email address confirmed',
    expired: 'This link has expired',
    newLink: 'Send me a new link',
    resetTitle: 'Choose a new password',
    password: 'New password',
    again: 'New password, again',
    save: 'Save my new password',
    tooShort: 'Use at least 8 characters.',
    changed: 'Your password was changed',
    prefs: 'Email preferences',
    marketing: 'News and offers',
    savePrefs: 'Save my preferences',
    saved: 'Your preferences were saved.',
    leaveAll: 'Unsubscribe from all',
    leftAll: 'You are unsubscribed from every email you can turn off.',
  },
  es: {
    verified: 'Correo electrónico confirmado',
    expired: 'Este enlace caducó',
    newLink: 'Enviarme un enlace nuevo',
    resetTitle: 'Elige una contraseña nueva',
    password: 'Contraseña nueva',
    again: 'Repite la contraseña nueva',
    save: 'Guardar mi contraseña nueva',
    tooShort: 'Usa al menos 8 caracteres.',
    changed: 'Tu contraseña cambió',
    prefs: 'Preferencias de correo',
    marketing: 'Novedades y ofertas',
    savePrefs: 'Guardar mis preferencias',
    saved: 'Tus preferencias se guardaron.',
    leaveAll: 'Darme de baja de todo',
    leftAll: 'Te diste de baja de todos los correos que puedes desactivar.',
  },
  'pt-BR': {
    verified: 'E-mail confirmado',
    expired: 'Este link expirou',
    newLink: 'Enviar um novo link',
    resetTitle: 'Escolha uma nova senha',
    password: 'Nova senha',
    again: 'Nova senha, de novo',
    save: 'Salvar minha nova senha',
    tooShort: 'Use pelo menos 8 caracteres.',
    changed: 'Sua senha foi alterada',
    prefs: 'Preferências de e-mail',
    marketing: 'Novidades e ofertas',
    savePrefs: 'Salvar minhas preferências',
    saved: 'Suas preferências foram salvas.',
    leaveAll: 'Cancelar todas as inscrições',
    leftAll: 'Você cancelou a inscrição em todos os e-mails que podem ser desativados.',
  },
} as const;
const LOCALES = Object.keys(COPY) as (keyof typeof COPY)[];

describeInBrowser('Participant pages in Chromium (e2e)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let p: ProgramKeys;

  const open = (link: string) => page.goto(`${t.baseUrl}${pathOf(link)}`);
  const heading = () => page.locator('h1').innerText();
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const participant = (id: string, body: Record<string, unknown>) =>
    t.http.put(`/v1/participants/${id}`).set(bearer(p.secretKey)).send(body);

  /** No serious or critical accessibility violation on the page as it is now. */
  async function accessible(name: string): Promise<void> {
    const results = await new AxeBuilder({ page }).analyze();
    const blocking = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        nodes: v.nodes.map((n) => [n.target, n.failureSummary]),
      }));
    expect([name, blocking]).toEqual([name, []]);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        TOKEN_EMAILS_PER_ADDRESS_PER_HOUR: '20',
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '500',
      },
    });
    p = await t.createProgram({ name: 'Brightside Rewards', timezone: 'America/New_York' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // A phone first: the pages are opened from an email, most often on one.
    context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await smtp?.stop();
    if (!process.env.PARTICIPANT_PAGES_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
  });

  describe.each(LOCALES)('in %s', (locale) => {
    const copy = COPY[locale];
    const id = `reader-${locale.toLowerCase()}`;
    const email = `${id}@example.com`;
    const suffix = locale === 'en' ? '' : `-${locale}`;

    beforeAll(async () => {
      expect((await participant(id, { email, locale, firstName: 'Sam' })).status).toBe(201);
    });

    it('verifies the address on the landing of the verification link', async () => {
      const link = await oneTimeLink(t, smtp, p, 'verification', email);
      const res = await open(link);
      expect(res?.status()).toBe(200);
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await heading()).toBe(copy.verified);
      const view = await t.http.get(`/v1/participants/${id}`).set(bearer(p.secretKey));
      expect(view.body.emailVerified).toBe(true);
      await accessible(`verify (${locale})`);
      await shot(`participant-verify${suffix}`);
    });

    it('sets a new password on the reset page, which then signs in through the API', async () => {
      const link = await oneTimeLink(t, smtp, p, 'password-reset', email);
      await open(link);
      expect(await heading()).toBe(copy.resetTitle);
      await accessible(`reset form (${locale})`);
      await shot(`participant-reset${suffix}`);

      // Too short first: the message sits beside the field, which says it is invalid.
      await page.getByLabel(copy.password, { exact: true }).fill('short');
      await page.getByLabel(copy.again).fill('short');
      await page.getByRole('button', { name: copy.save }).click();
      expect(await page.locator('#password-error').innerText()).toBe(copy.tooShort);
      expect(
        await page.getByLabel(copy.password, { exact: true }).getAttribute('aria-invalid'),
      ).toBe('true');
      await accessible(`reset form with an error (${locale})`);

      const password = `sunny-meadow-${locale}-42`;
      await page.getByLabel(copy.password, { exact: true }).fill(password);
      await page.getByLabel(copy.again).fill(password);
      await page.getByRole('button', { name: copy.save }).click();
      expect(await heading()).toBe(copy.changed);
      await accessible(`reset done (${locale})`);

      const signIn = await t.http
        .post('/v1/public/sessions')
        .set(bearer(p.publishableKey))
        .send({ email, password });
      expect([signIn.status, signIn.body]).toEqual([200, { participantId: id }]);
    });

    it('changes a category on the preference page behind the unsubscribe link', async () => {
      const link = t.app.get(ConsentService).unsubscribeUrl(p.id, id, 'rewards');
      await open(link);
      expect(await heading()).toBe(copy.prefs);
      const marketing = page.getByLabel(copy.marketing);
      expect(await marketing.isChecked()).toBe(true);
      await accessible(`preferences (${locale})`);
      await shot(`participant-preferences${suffix}`);

      await marketing.uncheck();
      await page.getByRole('button', { name: copy.savePrefs }).click();
      expect(await page.getByRole('status').innerText()).toBe(copy.saved);
      expect(await page.getByLabel(copy.marketing).isChecked()).toBe(false);
      await accessible(`preferences saved (${locale})`);
      const prefs = await t.http
        .get(`/v1/participants/${id}/preferences`)
        .set(bearer(p.secretKey))
        .expect(200);
      expect(prefs.body.categories).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ category: 'marketing', subscribed: false, source: 'page' }),
          expect.objectContaining({ category: 'rewards', subscribed: true }),
        ]),
      );

      await page.getByRole('button', { name: copy.leaveAll }).click();
      expect(await page.getByRole('status').innerText()).toBe(copy.leftAll);
    });

    it('explains an expired link and offers a new one', async () => {
      const link = await oneTimeLink(t, smtp, p, 'password-reset', email);
      await t.app
        .get(DataSource)
        .getRepository(ParticipantToken)
        .update(
          { participantId: id, purpose: 'password-reset', usedAt: IsNull() },
          { expiresAt: new Date(Date.now() - 1000) },
        );
      const res = await open(link);
      expect(res?.status()).toBe(410);
      expect(await heading()).toBe(copy.expired);
      expect(await page.getByRole('button', { name: copy.newLink }).isVisible()).toBe(true);
      await accessible(`expired link (${locale})`);
    });
  });

  it('is usable at desktop width too', async () => {
    await page.setViewportSize(DESKTOP);
    await participant('wide', { email: 'wide@example.com', locale: 'en' });
    await open(t.app.get(ConsentService).unsubscribeUrl(p.id, 'wide', 'marketing'));
    await accessible('preferences (desktop)');
    await shot('participant-preferences-desktop');
    await open(`${t.baseUrl}/p/reset-password?program=${p.id}`);
    await accessible('reset request (desktop)');
    await open(`${t.baseUrl}/p/verify?token=not-a-token`);
    await accessible('invalid link (desktop)');
    await page.setViewportSize(PHONE);
  });

  it('loads nothing from anywhere else, and runs no script', async () => {
    const requests: string[] = [];
    const violations: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await participant('csp', { email: 'csp@example.com' });
    await open(t.app.get(ConsentService).unsubscribeUrl(p.id, 'csp', 'marketing'));
    await page.getByRole('button', { name: COPY.en.savePrefs }).click();
    expect(requests.every((url) => url.startsWith(t.baseUrl))).toBe(true);
    expect(requests.some((url) => url.endsWith('/p/assets/pages.css'))).toBe(true);
    expect(violations).toEqual([]);
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
  });
});
