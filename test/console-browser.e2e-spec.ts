import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DnsTestServer } from './support/dns-test-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run); elsewhere the suite is skipped rather than failing on a missing browser.
const describeInBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

// CONSOLE_SCREENSHOTS=1 writes the pictures the README shows; otherwise they go to a temporary folder.
const SHOTS = process.env.CONSOLE_SCREENSHOTS
  ? resolve(__dirname, '..', 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'rn-console-shots-'));

const OWNER = { user: 'owner@acme.test', password: 'owner-Secret-7c2n' };
const RULE_CONDITIONS =
  '{\n  "all": [\n    { "fact": "event", "path": "amount", "operator": "greaterThanInclusive", "value": 50 }\n  ]\n}';
const RULE_ACTIONS =
  '[\n  { "type": "reward", "to": "participant", "kind": "cash", "amount": 650, "currency": "USD" }\n]';

describeInBrowser('Console in Chromium (e2e)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let dns: DnsTestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let program: { id: string; secretKey: string };

  const url = (path: string) => `${t.baseUrl}${path}`;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const alertText = () => page.locator('[role="alert"]').first().innerText();
  const statusText = () => page.locator('.notice[role="status"]').first().innerText();
  const frameText = () =>
    page.frameLocator('#preview-frame').locator('body').innerText({ timeout: 2000 });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    smtp = await SmtpTestServer.start({ users: { [OWNER.user]: OWNER.password } });
    dns = await DnsTestServer.start();
    t = await startTestApp({ env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true', DNS_SERVERS: dns.address } });
    program = await t.createProgram({ name: 'Acme Referrals', timezone: 'America/New_York' });
    // Template tests go only to the program's own addresses.
    await t.http
      .put('/v1/participants/marketing')
      .set(bearer(program.secretKey))
      .send({ email: 'marketing@acme.test' })
      .expect(201);
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
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'America/New_York',
    });
    page = await context.newPage();
    // Forms that remove something ask first; the test says yes.
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    await smtp?.stop();
    await dns?.stop();
    if (!process.env.CONSOLE_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
  });

  it('signs in with the program secret key', async () => {
    await page.goto(url('/console/rules'));
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await shot('sign-in');

    // Keyboard first: the skip link is the first stop and lands on the main content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    await page.getByLabel('Secret key').fill('sk_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.locator('#secret-key-error').innerText()).toContain(
      'This key does not belong to any program',
    );

    await page.getByLabel('Secret key').fill(program.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/rules');
    expect(await page.locator('.program').innerText()).toBe('Acme Referrals');
  });

  it('explains a TLS mismatch: SSL against the STARTTLS port', async () => {
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByLabel('Host').fill(smtp.host);
    await page.getByLabel('Port', { exact: true }).fill(String(smtp.port));
    await page.getByLabel('Security').first().selectOption('ssl');
    await page.getByLabel('Username').fill(OWNER.user);
    await page.locator('#smtp-password').fill(OWNER.password);
    await page.locator('#smtp-from-address').fill('rewards@acme.test');
    await page.locator('#smtp-from-name').fill('Acme Rewards');
    await page.getByRole('button', { name: 'Connect' }).click();

    const alert = await alertText();
    expect(alert).toContain('The security setting does not match the port');
    expect(alert).toContain(`choose TLS (STARTTLS) for port ${smtp.port}`);
    expect(alert).toContain('SMTP_TLS_MISMATCH');
    // What was typed stays, except the password.
    expect(await page.getByLabel('Host').inputValue()).toBe(smtp.host);
    expect(await page.locator('#smtp-password').inputValue()).toBe('');
    await shot('integrations-tls-mismatch');
  });

  it('connects the in-process SMTP server and sends a test through it', async () => {
    await page.getByLabel('Security').first().selectOption('tls');
    await page.locator('#smtp-password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Connect' }).click();
    expect(await statusText()).toContain(
      `Connected to ${smtp.host}:${smtp.port} with TLS (STARTTLS`,
    );
    expect(await page.locator('#smtp .badge').first().innerText()).toBe('Connected');

    await page.locator('#smtp-test-to').fill('marketing@acme.test');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await statusText()).toContain(
      'The server accepted the test email for marketing@acme.test.',
    );
    const [received] = await smtp.waitForMessages(1);
    expect(received.envelope).toMatchObject({
      rcptTo: ['marketing@acme.test'],
      user: OWNER.user,
      secure: true,
    });
    await page.locator('#smtp').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('integrations');
  });

  it('sets a From domain for the built-in sender, shows the records to copy, and verifies them', async () => {
    await page.getByLabel('Domain', { exact: true }).fill('mail.acme.test');
    await page.locator('#domain-from-address').fill('rewards@mail.acme.test');
    await page.getByRole('button', { name: 'Save domain' }).click();
    expect(await page.locator('#domain [role="status"]').innerText()).toContain(
      'Saved mail.acme.test.',
    );
    const records = page.locator('#domain table.records');
    expect(await records.innerText()).toContain('_domainkey.mail.acme.test');

    await page.getByRole('button', { name: 'Verify DNS records' }).click();
    expect(await page.locator('#domain [role="alert"]').innerText()).toContain(
      'Not all records of mail.acme.test are visible in DNS yet',
    );

    // Publish the required records as the customer would; DMARC (recommended) stays unpublished.
    const current = await t.http
      .get('/v1/integrations/sender-domain')
      .set(bearer(program.secretKey));
    const required = (
      current.body.records as Array<{
        type: string;
        name: string;
        value: string;
        strings?: string[];
        required: boolean;
      }>
    ).filter((r) => r.required);
    dns.publish(
      required.map((r) => ({
        type: r.type,
        name: r.name,
        content: r.strings ? r.strings.join('') : r.value,
        strings: r.strings,
      })),
    );
    await page.getByRole('button', { name: 'Verify DNS records' }).click();
    expect(await page.locator('#domain [role="status"]').innerText()).toContain(
      'mail.acme.test is verified',
    );
    const rows = await page.locator('#domain table.records tbody tr').allInnerTexts();
    expect(rows.find((r) => r.startsWith('DKIM'))).toContain('Verified');
    expect(rows.find((r) => r.startsWith('DMARC'))).toContain('Pending');
    await page.locator('#domain').evaluate((el) => el.scrollIntoView());
    await shot('integrations-domain');
  });

  it('saves a rule, with errors beside the field first, then disables and enables it', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Name').fill('Cash for big purchases');
    await page.getByLabel('Event type').fill('purchase');
    await page
      .getByLabel(/^Conditions/)
      .fill(RULE_CONDITIONS.replace('greaterThanInclusive', 'atLeast'));
    await page.getByLabel(/^Actions/).fill(RULE_ACTIONS);
    await page.getByRole('button', { name: 'Create rule' }).click();
    expect(await page.locator('#rule-conditions-error').innerText()).toContain('atLeast');
    expect(await page.locator('#rule-conditions').getAttribute('aria-invalid')).toBe('true');
    await shot('rule-editor-errors');

    await page.getByLabel(/^Conditions/).fill(RULE_CONDITIONS);
    await page.getByRole('button', { name: 'Create rule' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/rules');
    expect(await statusText()).toBe('The rule was created.');
    const row = page.getByRole('row', { name: /Cash for big purchases/ });
    expect(await row.innerText()).toContain('Reward 650 USD (cash) to the participant');

    await row.getByRole('button', { name: 'Disable Cash for big purchases' }).click();
    expect(
      await page
        .getByRole('row', { name: /Cash for big purchases/ })
        .locator('.badge')
        .innerText(),
    ).toBe('Disabled');
    await page
      .getByRole('row', { name: /Cash for big purchases/ })
      .getByRole('button', { name: 'Enable Cash for big purchases' })
      .click();
    expect(
      await page
        .getByRole('row', { name: /Cash for big purchases/ })
        .locator('.badge')
        .innerText(),
    ).toBe('Enabled');
    await shot('rules');
  });

  it('simulates an event and shows which condition failed', async () => {
    await page.getByRole('link', { name: 'Simulate an event' }).click();
    await page.getByLabel('Event type').fill('purchase');
    await page.getByLabel(/^Event data/).fill('{ "amount": 20 }');
    await page.getByRole('button', { name: 'Simulate' }).click();
    const result = page.locator('article.result').first();
    expect(await result.innerText()).toContain('Does not match');
    const failed = await result.locator('table').innerText();
    expect(failed).toContain('greaterThanInclusive');
    expect(failed).toContain('50');
    expect(failed).toContain('20');
    await page.locator('#simulation-results').scrollIntoViewIfNeeded();
    await shot('rules-simulate');
  });

  it('edits a template and sees the live preview change', async () => {
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await shot('templates');
    await page.getByRole('link', { name: 'Edit reward-earned in en' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Edit template');

    const before = await eventually(async () => frameText().catch(() => ''));
    expect(before).not.toContain('Spring bonus');

    const subject = page.getByLabel('Subject');
    await subject.fill(`Spring bonus: ${await subject.inputValue()}`);
    await eventually(async () =>
      (await page.locator('#preview-subject').innerText()).startsWith('Spring bonus:'),
    );

    const html = page.getByLabel('HTML');
    const original = await html.inputValue();
    await html.fill(
      `<p>Spring bonus inside, {{default recipient.firstName "there"}}!</p>\n${original}`,
    );
    const after = await eventually(async () => {
      const text = await frameText().catch(() => '');
      return text.includes('Spring bonus inside') ? text : undefined;
    });
    expect(after).toMatch(/Spring bonus inside, \S+!/);

    // A mistake shows beside the field with its line; the preview says so instead of the email.
    await html.fill(
      `<p>Spring bonus inside, {{default recipient.firstName "there"}}!</p>\n{{#if reward}}\n${original}`,
    );
    const problem = await eventually(async () => {
      const text = await page.locator('[data-errors-for="html"]').innerText();
      return text.includes('Line') ? text : undefined;
    });
    expect(problem).toMatch(/Line \d+/);
    expect(await page.getByLabel('HTML').getAttribute('aria-invalid')).toBe('true');

    await html.fill(
      `<p>Spring bonus inside, {{default recipient.firstName "there"}}!</p>\n${original}`,
    );
    await eventually(
      async () => (await page.locator('[data-errors-for="html"]').innerText()) === '',
    );
    await eventually(async () =>
      (await frameText().catch(() => '')).includes('Spring bonus inside'),
    );
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await statusText()).toContain('Saved as version 1');
    await eventually(async () =>
      (await frameText().catch(() => '')).includes('Spring bonus inside'),
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('template-editor');
  });

  it('sends a test of the template and finds it in the message log', async () => {
    await page.getByLabel('Send to').fill('marketing@acme.test');
    await page.getByRole('button', { name: 'Send test' }).click();
    expect(await statusText()).toContain('Test email to marketing@acme.test queued.');

    const mails = await smtp.waitForMessages(2, 15000);
    expect(mails[1].subject).toMatch(/^Spring bonus: /);
    expect(mails[1].html).toContain('Spring bonus inside');

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByLabel('Template').fill('reward-earned');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = await eventually(async () => {
      await page.reload();
      const first = page.locator('table.messages tbody tr').first();
      const text = (await first.count()) ? await first.innerText() : '';
      return text.includes('Sent') ? first : undefined;
    });
    expect(await row.innerText()).toContain('marketing@acme.test');
    expect(await row.innerText()).toContain('Spring bonus:');
    await shot('messages');

    await row.getByRole('link').click();
    expect(await page.getByRole('heading', { level: 2 }).first().innerText()).toMatch(
      /^Spring bonus: /,
    );
    const attempts = await page
      .locator('section[aria-labelledby="attempts-heading"] table')
      .innerText();
    expect(attempts).toContain('Sent');
    expect(attempts).toContain('Your SMTP server');
    expect(await page.frameLocator('iframe.message-frame').locator('body').innerText()).toContain(
      'Spring bonus inside',
    );
    await shot('message');
  });

  it('looks a participant up: W-9 status and payout details', async () => {
    const event = await t.http
      .post('/v1/events')
      .set(bearer(program.secretKey))
      .send({
        type: 'purchase',
        participant: { id: 'ana', email: 'ana@acme.test', firstName: 'Ana', country: 'US' },
        data: { amount: 80 },
      });
    expect(event.status).toBe(202);
    await eventually(async () => {
      const res = await t.http
        .get('/v1/participants/ana/tax-summary')
        .set(bearer(program.secretKey));
      return res.body.w9NoticeSentAt ? res.body : undefined;
    });

    await page.getByRole('link', { name: 'Participants', exact: true }).click();
    await page.getByLabel('Participant id').fill('ana');
    await page.getByRole('button', { name: 'Look up' }).click();
    const tax = await page.locator('section[aria-labelledby="tax-heading"]').innerText();
    expect(tax).toContain('$650.00');
    expect(tax).toContain('Required: above the threshold with no tax form on file.');
    expect(tax).toContain('Notice sent');
    const payout = await page.locator('section[aria-labelledby="payout-heading"]').innerText();
    expect(payout).toContain('Details are missing');
    await shot('participants');
  });

  it('switches to Spanish and Portuguese', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('link', { name: 'Español' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Reglas');
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    await shot('rules-es');
    await page.getByRole('link', { name: 'Português (Brasil)' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Regras');
    await page.getByRole('link', { name: 'English' }).click();
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Rules');
  });
});
