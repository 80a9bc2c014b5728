import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const describeInBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1];

// What a marketer met in the console on a first visit: an untranslated reward kind, a preview
// that cut off the email's footer, a syntax error reported at the wrong line, and the server's
// file paths.
describeInBrowser('Console, first visit (e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let program: { id: string; secretKey: string };

  beforeAll(async () => {
    // A disk error retried once, then failed: what a marketer reads about it below.
    t = await startTestApp({ env: { JOB_ATTEMPTS: '2' } });
    program = await t.createProgram({ name: 'Acme Referrals' });
    await t.http
      .post('/v1/rules')
      .set(bearer(program.secretKey))
      .send({
        name: 'Cash for a purchase',
        event: 'purchase',
        actions: [{ type: 'reward', to: 'referrer', kind: 'cash', amount: 25, currency: 'USD' }],
      })
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
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.goto(`${t.baseUrl}/console/sign-in`);
    await page.getByLabel('Secret key').fill(program.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(new URL(page.url()).pathname).not.toBe('/console/sign-in');
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it.each([
    ['es', 'Recompensa de 25 USD (efectivo) para quien refirió'],
    ['pt-BR', 'Recompensa de 25 USD (dinheiro) para quem indicou'],
    ['en', 'Reward 25 USD (cash) to the referrer'],
  ])('names the reward kind in %s', async (lang, line) => {
    const agent = request.agent(t.app.getHttpServer());
    const form = await agent.get('/console/sign-in');
    await agent
      .post('/console/sign-in')
      .type('form')
      .send({ _csrf: csrfOf(form.text), secretKey: program.secretKey })
      .expect(303);
    const rules = await agent.get('/console/rules').set('Accept-Language', lang).expect(200);
    expect(rules.text).toContain(line);
    expect(rules.text).not.toContain(lang === 'en' ? '(efectivo)' : '(cash)');
  });

  it('simulates an event for someone not stored yet, and says what a real event would need', async () => {
    await page.goto(`${t.baseUrl}/console/rules/simulate`);
    await page.getByLabel('Event type').fill('purchase');
    await page.locator('#sim-participant').fill('{ "id": "new-friend" }');
    await page.getByRole('button', { name: 'Simulate', exact: true }).click();
    const results = await page.locator('#simulation-results').innerText();
    expect(results).toContain('Cash for a purchase');
    expect(results).toContain('A real event like this one would be refused');
    expect(results).toContain(
      'event.participant.email is needed (code PARTICIPANT_EMAIL_REQUIRED).',
    );
  });

  it('sizes the preview frame to the email: the footer is inside it, nothing to scroll in it', async () => {
    await page.goto(`${t.baseUrl}/console/templates/reward-earned/en`);
    const frame = page.locator('#preview-frame');
    const fits = async () =>
      frame.evaluate((el: HTMLIFrameElement) => {
        const doc = el.contentDocument!;
        const content = doc.documentElement.scrollHeight;
        return { content, inner: el.clientHeight, text: doc.body.innerText };
      });
    const sized = await eventually(async () => {
      const f = await fits();
      return f.text.includes('Acme Referrals') && f.inner >= f.content ? f : undefined;
    });
    // Taller than the fixed height it had, and no taller than the email needs.
    expect(sized.inner).toBeLessThanOrEqual(sized.content + 1);
    // The last line of the email (its footer) is within the frame's box.
    const footer = page.frameLocator('#preview-frame').locator('body *:last-child').last();
    const box = (await footer.boundingBox())!;
    const frameBox = (await frame.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(frameBox.y + frameBox.height + 1);

    // A live preview after an edit is sized too.
    const html = page.getByLabel('HTML');
    const original = await html.inputValue();
    await html.fill(`${original}\n<p>One more paragraph at the end.</p>`.repeat(1));
    const resized = await eventually(async () => {
      const f = await fits();
      return f.text.includes('One more paragraph') && f.inner >= f.content ? f : undefined;
    });
    expect(resized.inner).toBeLessThanOrEqual(resized.content + 1);
  });

  it('reports an unclosed block where it opened, with line and column', async () => {
    await page.goto(`${t.baseUrl}/console/templates/reward-earned/en`);
    await page
      .getByLabel('HTML')
      .fill(
        '<p>Hello</p>\n  {{#if participant.firstName}}\n<p>Hi</p>\n<p>More</p>\n<p>The end</p>',
      );
    const problem = await eventually(async () => {
      const text = await page.locator('[data-errors-for="html"]').innerText();
      return text.includes('Line') ? text : undefined;
    });
    expect(problem).toContain(
      'Line 2, column 3: Syntax error: {{#if participant.firstName}} is never closed; add {{/if}} where the block ends.',
    );
  });

  it('shows no server file path when sending failed on the server’s disk', async () => {
    // The folder the embedded sender writes this program's mail to is a file: writing fails.
    mkdirSync(join(t.dataDir, 'outbox'), { recursive: true });
    writeFileSync(join(t.dataDir, 'outbox', program.id), 'not a folder');
    await t.http
      .put('/v1/participants/ana')
      .set(bearer(program.secretKey))
      .send({ email: 'ana@example.com' })
      .expect(201);
    const sent = await t.http
      .post('/v1/templates/reward-earned/test')
      .set(bearer(program.secretKey))
      .send({ to: 'ana@example.com' })
      .expect(202);
    const id = sent.body.messageId as string;
    const failed = await eventually(async () => {
      const m = await t.http.get(`/v1/messages/${id}`).set(bearer(program.secretKey));
      return m.body.status === 'failed' ? m.body : undefined;
    }, 30_000);
    expect(failed.error.message).toContain('a file on the server');
    expect(JSON.stringify(failed)).not.toContain(t.dataDir);

    await page.goto(`${t.baseUrl}/console/messages/${id}`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('a file on the server');
    for (const path of [t.dataDir, process.cwd(), '/tmp/'])
      expect(await page.content()).not.toContain(path);
  });
});
