import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { SAMPLE_UNSUBSCRIBE_URL } from '../src/templates/renderer';
import { deliveredMail, oneTimeLink, type ProgramKeys } from './support/participant-links';
import { SmtpTestServer, type ReceivedMail } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const LABELS = {
  en: 'Unsubscribe or choose which emails you get',
  es: 'Cancelar la suscripción o elegir qué correos recibes',
  'pt-BR': 'Cancelar a inscrição ou escolher quais e-mails você recebe',
} as const;

/** The https targets of the List-Unsubscribe header, as they came over the wire. */
function headerLinks(mail: ReceivedMail): string[] {
  const line = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
  return [...line.matchAll(/<([^>]+)>/g)]
    .map(([, target]) => target)
    .filter((t) => !t.startsWith('mailto:'));
}

/** Every unsubscribe link of the body: the HTML's hrefs and the plain text's URLs. */
function bodyLinks(mail: ReceivedMail): { html: string[]; text: string[] } {
  const html = [...(mail.html || '').matchAll(/href="([^"]+)"/g)]
    .map(([, href]) => href.replace(/&amp;/g, '&'))
    .filter((href) => href.includes('/p/unsubscribe/'));
  const text = [...(mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)]
    .map(([url]) => url)
    .filter((url) => url.includes('/p/unsubscribe/'));
  return { html, text };
}

/**
 * CAN-SPAM wants the opt-out in the message itself: every email a participant may leave shows
 * the List-Unsubscribe link in its footer (and a program's own template may place it), while a
 * transactional email and a test send to an address carry none.
 */
describe('Unsubscribe link in the body (e2e)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  const messageOf = (programId: string, templateKey: string, participantId: string) =>
    eventually(() =>
      t.app
        .get(DataSource)
        .getRepository(Message)
        .findOne({
          where: { programId, templateKey, participantId },
          order: { createdAt: 'DESC' },
        }),
    );

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '1000',
      },
    });
    // The links are built on PUBLIC_BASE_URL: here, the address the service listens on.
    t.config.PUBLIC_BASE_URL = t.baseUrl;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe.each(Object.keys(LABELS) as Array<keyof typeof LABELS>)('in %s', (locale) => {
    let p: ProgramKeys;
    const id = `reader-${locale.toLowerCase()}`;
    const email = `${id}@example.com`;

    beforeAll(async () => {
      p = await t.createProgram({
        name: `Footer ${locale}`,
        defaultLocale: locale,
        replyTo: 'team@acme.example',
      });
      await t.http
        .put(`/v1/participants/${id}`)
        .set(bearer(p.secretKey))
        .send({ email, locale, firstName: 'Sam' })
        .expect(201);
    });

    it('reward-earned, generic and a program template link to the page of the List-Unsubscribe URL', async () => {
      // A program's own template: the variable is optional, so shown bare it is refused...
      const bare = await t.http
        .put(`/v1/templates/spring-promo/${locale}`)
        .set(bearer(p.secretKey))
        .send({ subject: 'Spring', html: '<p>Spring sale.</p><p>{{unsubscribeUrl}}</p>' })
        .expect(400);
      expect(bare.body.code).toBe('TEMPLATE_INVALID');
      expect(JSON.stringify(bare.body.details)).toContain('unsubscribeUrl');
      // ...and accepted inside {{#if}}, through the link helper.
      await t.http
        .put(`/v1/templates/spring-promo/${locale}`)
        .set(bearer(p.secretKey))
        .send({
          subject: 'Spring',
          html: '<p>Spring sale.</p>{{#if unsubscribeUrl}}<p id="own">{{link unsubscribeUrl "No more promos"}}</p>{{/if}}',
          text: 'Spring sale.\n{{#if unsubscribeUrl}}No more promos: {{link unsubscribeUrl}}{{/if}}',
        })
        .expect(201);
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({
          name: 'A reward, a note and a promo',
          event: 'sale',
          actions: [
            { type: 'reward', to: 'participant', kind: 'cash', amount: 10, currency: 'USD' },
            { type: 'email', template: 'generic', to: 'participant' },
            { type: 'email', template: 'spring-promo', to: 'participant' },
          ],
        })
        .expect(201);
      await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({
          type: 'sale',
          participant: { id, email },
          idempotencyKey: `sale-${randomBytes(4).toString('hex')}`,
        })
        .expect(202);

      for (const key of ['reward-earned', 'generic', 'spring-promo']) {
        const message = await messageOf(p.id, key, id);
        const mail = await deliveredMail(t, smtp, message.id);
        const [link, ...more] = headerLinks(mail);
        expect([key, more]).toEqual([key, []]);
        expect(link.startsWith(`${t.baseUrl}/p/unsubscribe/`)).toBe(true);

        // The footer's link (and the program's own) is the header's, in HTML and in text.
        const body = bodyLinks(mail);
        const expected = key === 'spring-promo' ? [link, link] : [link];
        expect([key, body.html, body.text]).toEqual([key, expected, expected]);
        expect(mail.html).toContain(`>${LABELS[locale]}</a>`);
        expect(mail.text).toContain(`${LABELS[locale]}: ${link}`);
        if (key === 'spring-promo') expect(mail.html).toContain('>No more promos</a>');

        // What the link opens: the participant's preference page, in their language.
        const res = await fetch(link, { headers: { Accept: 'text/html' } });
        expect([key, res.status]).toEqual([key, 200]);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const page = await res.text();
        expect(page).toContain(`lang="${locale}"`);
        expect(page).toContain('<form');
      }
    });

    it('a transactional email (password-reset) has no unsubscribe link, in the body nor the headers', async () => {
      await oneTimeLink(t, smtp, p, 'password-reset', email);
      const message = await messageOf(p.id, 'password-reset', id);
      const mail = await deliveredMail(t, smtp, message.id);
      expect(headerLinks(mail)).toEqual([]);
      expect(bodyLinks(mail)).toEqual({ html: [], text: [] });
      expect(mail.html).not.toContain(LABELS[locale]);
      expect(mail.text).not.toContain(LABELS[locale]);
    });
  });

  it('a transactional template cannot name unsubscribeUrl, even inside {{#if}}', async () => {
    const p = await t.createProgram({ name: 'Strict' });
    const res = await t.http
      .put('/v1/templates/password-reset/en')
      .set(bearer(p.secretKey))
      .send({
        subject: 'Reset',
        html: '<p>{{link resetUrl "Reset"}}</p>{{#if unsubscribeUrl}}{{link unsubscribeUrl "Leave"}}{{/if}}',
      })
      .expect(400);
    expect(res.body.code).toBe('TEMPLATE_INVALID');
    expect(JSON.stringify(res.body.details)).toContain('unsubscribeUrl');
  });

  it('previews a sample link, the participant its own; a test send to an address shows none', async () => {
    const p = await t.createProgram({ name: 'Preview', replyTo: 'team@acme.example' });
    await t.http
      .put('/v1/participants/pia')
      .set(bearer(p.secretKey))
      .send({ email: 'pia@example.com' })
      .expect(201);
    const sample = await t.http
      .post('/v1/templates/generic/preview')
      .set(bearer(p.secretKey))
      .send({ locale: 'en' })
      .expect(200);
    expect(sample.body.html).toContain(`href="${SAMPLE_UNSUBSCRIBE_URL}"`);
    expect(sample.body.text).toContain(`${LABELS.en}: ${SAMPLE_UNSUBSCRIBE_URL}`);

    const own = await t.http
      .post('/v1/templates/generic/preview')
      .set(bearer(p.secretKey))
      .send({ locale: 'en', participantId: 'pia' })
      .expect(200);
    const [link] = /https?:\/\/\S+\/p\/unsubscribe\/\S+/.exec(own.body.text) ?? [];
    expect(link?.startsWith(`${t.baseUrl}/p/unsubscribe/`)).toBe(true);
    expect((await fetch(link!, { headers: { Accept: 'text/html' } })).status).toBe(200);

    // What a test send will show: the preview with no link.
    const bare = await t.http
      .post('/v1/templates/generic/preview')
      .set(bearer(p.secretKey))
      .send({ locale: 'en', data: { unsubscribeUrl: null } })
      .expect(200);
    const queued = await t.http
      .post('/v1/templates/generic/test')
      .set(bearer(p.secretKey))
      .send({ locale: 'en', participantId: 'pia', to: 'team@acme.example' })
      .expect(202);
    const message = await t.app
      .get(DataSource)
      .getRepository(Message)
      .findOneByOrFail({ id: queued.body.messageId as string });
    expect(message.data.unsubscribeUrl).toBeNull();
    const mail = await deliveredMail(t, smtp, message.id);
    expect(headerLinks(mail)).toEqual([]);
    expect(bodyLinks(mail)).toEqual({ html: [], text: [] });
    expect(mail.html).not.toContain(LABELS.en);
    expect(bare.body.html).not.toContain(LABELS.en);
  });
});
