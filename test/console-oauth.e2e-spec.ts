import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { OAuthTestServer, xoauth2Check } from './support/oauth-test-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { startTestApp, type TestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run); elsewhere the suite is skipped rather than failing on a missing browser.
const describeInBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

const OWNER = 'owner@acme.test';

/**
 * Connect with Microsoft from the console, in Chromium: the button, the provider's sign-in (the
 * local authorization server), the callback, back on the Integrations page; then a revoked sign-in
 * shows "Reconnect needed", and Reconnect connects it again.
 */
describeInBrowser('Console: connect with Microsoft (e2e, Chromium)', () => {
  let oauth: OAuthTestServer;
  let smtp: SmtpTestServer;
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let program: { id: string; secretKey: string };

  const smtpSection = () => page.locator('#smtp');

  beforeAll(async () => {
    oauth = await OAuthTestServer.start();
    smtp = await SmtpTestServer.start({
      authMethods: ['XOAUTH2'],
      authRequired: true,
      onAuth: xoauth2Check(oauth),
    });
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        ...oauth.env('microsoft'),
        // The browser goes to the provider's sign-in page; the service talks to its token endpoint.
        OAUTH_MICROSOFT_AUTHORIZE_URL: oauth.plainAuthorizeUrl,
      },
    });
    // The provider sends the browser back to this service's own address.
    t.config.PUBLIC_BASE_URL = t.baseUrl;
    program = await t.createProgram({
      name: 'Acme Referrals',
      settings: { alertEmail: 'ops@acme.test' },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all([smtp?.stop(), oauth?.stop()]);
  });

  it('connects the SMTP integration with the Microsoft button and shows who it signs in as', async () => {
    await page.goto(`${t.baseUrl}/console/integrations`);
    await page.getByLabel('Secret key').fill(program.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/integrations');

    await oauth.set({ accessLifetimeS: 2 });
    await smtpSection().locator('#smtp-oauth-email').fill(OWNER);
    await smtpSection().locator('details summary').click();
    await smtpSection().locator('#smtp-oauth-host').fill('localhost');
    await smtpSection().locator('#smtp-oauth-port').fill(String(smtp.port));
    await Promise.all([
      page.waitForURL(/\/console\/integrations\?oauth=connected/),
      smtpSection().getByRole('button', { name: 'Connect with Microsoft' }).click(),
    ]);
    expect(await page.locator('.notice[role="status"]').first().innerText()).toContain(
      'Connected. The sign-in was verified',
    );
    const state = await smtpSection().locator('.state').innerText();
    expect(state).toContain('Connected');
    expect(await smtpSection().innerText()).toContain(`Signs in with Microsoft as ${OWNER}`);
    expect(smtp.authAttempts.at(-1)).toMatchObject({
      method: 'XOAUTH2',
      username: OWNER,
      accepted: true,
    });
  });

  it('shows "Reconnect needed" once the sign-in is revoked, and Reconnect connects it again', async () => {
    await oauth.set({ accessLifetimeS: 3600 });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await oauth.revokeAll();
    // A test send needs a new token: the provider refuses, and the account waits for a person.
    await smtpSection().locator('#smtp-test-to').fill('ops@example.com');
    await smtpSection().getByRole('button', { name: 'Send test' }).click();
    const refused = await smtpSection().innerText();
    expect(refused).toContain('The test email was not sent');
    expect(refused).toContain('OAUTH_REAUTHORIZATION_REQUIRED');
    await page.goto(`${t.baseUrl}/console/integrations`);
    expect(await smtpSection().locator('.state').innerText()).toContain('Reconnect needed');
    const alert = smtpSection().locator('[role="alert"]');
    expect(await alert.innerText()).toContain(
      'The sign-in with Microsoft was revoked or has expired',
    );
    // The alert address heard about it, once.
    const alerts = await t.app
      .get(DataSource)
      .getRepository(Message)
      .countBy({ programId: program.id, templateKey: 'program-alert' });
    expect(alerts).toBe(1);

    await Promise.all([
      page.waitForURL(/\/console\/integrations\?oauth=connected/),
      alert.getByRole('button', { name: 'Reconnect with Microsoft' }).click(),
    ]);
    expect(await smtpSection().locator('.state').innerText()).toContain('Connected');
    await smtpSection().locator('#smtp-test-to').fill('ops@example.com');
    await smtpSection().getByRole('button', { name: 'Send test' }).click();
    expect(await page.locator('.notice[role="status"]').first().innerText()).toContain(
      'The server accepted the test email for ops@example.com',
    );
  });

  it('speaks Spanish and Portuguese too', async () => {
    await page.goto(`${t.baseUrl}/console/integrations?lang=es`);
    expect(await smtpSection().innerText()).toContain('Conectar con Microsoft');
    expect(await smtpSection().innerText()).toContain(`Inicia sesión con Microsoft como ${OWNER}`);
    await page.goto(`${t.baseUrl}/console/integrations?lang=pt-BR`);
    expect(await page.locator('#mailbox').innerText()).toContain('Conectar com Microsoft');
    await page.goto(`${t.baseUrl}/console/integrations?lang=en`);
  });
});
