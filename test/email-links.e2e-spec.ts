import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { ProgramAlerts } from '../src/notifications/program-alerts';
import { ProgramsService } from '../src/programs/programs.service';
import { EMAIL_TYPE_KEYS } from '../src/templates/renderer';
import { deliveredMail, oneTimeLink, type ProgramKeys } from './support/participant-links';
import { SmtpTestServer, type ReceivedMail } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const LOCALES = ['en', 'es', 'pt-BR'] as const;

/** Every link of an email a reader (or their mail client) could follow: body, text and headers. */
function linksOf(mail: Pick<ReceivedMail, 'html' | 'text' | 'headerLines'>): string[] {
  const found = new Set<string>();
  for (const [, href] of (mail.html || '').matchAll(/href="([^"]+)"/g))
    found.add(href.replace(/&amp;/g, '&'));
  for (const [url] of (mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)) found.add(url);
  // The raw header line: mailparser reads List-* headers into its own structure.
  for (const line of mail.headerLines.filter((h) => h.key === 'list-unsubscribe'))
    for (const [, target] of line.line.matchAll(/<([^>]+)>/g)) found.add(target);
  return [...found];
}

/** The emails the flows below send for real; any other default email is walked by its rendering. */
const SENT_ABOVE = [
  'verification',
  'password-reset',
  'password-changed',
  'reward-earned',
  'generic',
  'w9-required',
  'payout-reminder',
  'program-alert',
];

/**
 * With no micrositeUrl and no settings.links, every default email of every language is sent by
 * the service's own flows, and every link in it is fetched from the running service: each one
 * answers 200, or the email has no link there by design (the W-9 notice and payout reminders
 * then say how to reach the program instead).
 */
describe('Links in default emails (e2e): none leads nowhere', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  const walked = new Map<string, { key: string; locale: string; links: string[] }>();

  const messageOf = (programId: string, templateKey: string, participantId?: string | null) =>
    eventually(() =>
      t.app
        .get(DataSource)
        .getRepository(Message)
        .findOne({
          where: { programId, templateKey, ...(participantId ? { participantId } : {}) },
          order: { createdAt: 'DESC' },
        }),
    );

  const subjects = new Map<string, { p: ProgramKeys; id: string }>();

  async function walk(
    key: string,
    locale: string,
    mail: Pick<ReceivedMail, 'html' | 'text' | 'headerLines'>,
  ): Promise<void> {
    const links = linksOf(mail);
    for (const link of links) {
      if (link.startsWith('mailto:')) continue;
      // Nothing but this service: no microsite and no program pages are set.
      expect([key, locale, new URL(link).origin]).toEqual([key, locale, new URL(t.baseUrl).origin]);
      const res = await fetch(link, { redirect: 'follow', headers: { Accept: 'text/html' } });
      expect([key, locale, link, res.status]).toEqual([key, locale, link, 200]);
      await res.arrayBuffer();
    }
    walked.set(`${key}/${locale}`, { key, locale, links });
  }

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        SWEEP_INTERVAL_MS: '200',
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '1000',
        TOKEN_EMAILS_PER_ADDRESS_PER_HOUR: '20',
      },
    });
    // Links in emails are built from PUBLIC_BASE_URL: here, the address the service listens on.
    t.config.PUBLIC_BASE_URL = t.baseUrl;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe.each(LOCALES)('in %s', (locale) => {
    let p: ProgramKeys;
    const id = `walker-${locale.toLowerCase()}`;
    const email = `${id}@example.com`;

    beforeAll(async () => {
      p = await t.createProgram({
        name: `Walk ${locale}`,
        defaultLocale: locale,
        replyTo: 'help@acme.example',
        settings: { payoutReminderIntervals: ['PT1S'], alertEmail: 'team@acme.example' },
      });
      await t.http
        .put(`/v1/participants/${id}`)
        .set(bearer(p.secretKey))
        .send({ email, locale, firstName: 'Sam' })
        .expect(201);
      subjects.set(locale, { p, id });
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({
          name: 'A big cash reward, and a note',
          event: 'sale',
          actions: [
            { type: 'reward', to: 'participant', kind: 'cash', amount: 700, currency: 'USD' },
            { type: 'email', template: 'generic', to: 'participant' },
          ],
        })
        .expect(201);
    });

    it('verification: the hosted landing answers', async () => {
      const link = await oneTimeLink(t, smtp, p, 'verification', email);
      const message = await messageOf(p.id, 'verification', id);
      await walk('verification', locale, await deliveredMail(t, smtp, message.id));
      expect(link.startsWith(`${t.baseUrl}/p/verify?token=`)).toBe(true);
    });

    it('password-reset and password-changed: the hosted form and the request page answer', async () => {
      const link = await oneTimeLink(t, smtp, p, 'password-reset', email);
      const reset = await messageOf(p.id, 'password-reset', id);
      await walk('password-reset', locale, await deliveredMail(t, smtp, reset.id));
      await t.http
        .post('/v1/public/password-reset/confirm')
        .set(bearer(p.publishableKey))
        .send({ token: new URL(link).searchParams.get('token'), password: 'walk-the-links-1' })
        .expect(200);
      const changed = await messageOf(p.id, 'password-changed', id);
      await walk('password-changed', locale, await deliveredMail(t, smtp, changed.id));
    });

    it('reward-earned, generic, w9-required and payout-reminder, from one event', async () => {
      const res = await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({
          type: 'sale',
          participant: { id, email },
          idempotencyKey: `walk-${randomBytes(4).toString('hex')}`,
        })
        .expect(202);
      await eventually(async () => {
        const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
        return ev.body.status === 'processed';
      });
      for (const key of ['reward-earned', 'generic', 'w9-required', 'payout-reminder']) {
        const message = await messageOf(p.id, key, id);
        await walk(key, locale, await deliveredMail(t, smtp, message.id));
      }
    });

    it('program-alert: the console page it names answers', async () => {
      const program = await t.app.get(ProgramsService).findById(p.id);
      await t.app.get(ProgramAlerts).send(
        undefined,
        program!,
        {
          kind: 'sender-domain-failing',
          domain: 'mail.acme.example',
          until: new Date(Date.now() + 86_400_000),
          consolePath: '/console/integrations',
        },
        `walk-${locale}`,
      );
      const message = await messageOf(p.id, 'program-alert');
      await walk('program-alert', locale, await deliveredMail(t, smtp, message.id));
    });
  });

  it('walks the links of any other default email, rendered with the real program and participant', async () => {
    // An email type this test has no flow for yet is rendered by the sending renderer with the
    // program's and participant's data: its links must lead to the service all the same (a link
    // only its flow makes, such as a token, needs that flow added above).
    for (const key of EMAIL_TYPE_KEYS.filter((k) => !SENT_ABOVE.includes(k)))
      for (const locale of LOCALES) {
        const { p, id } = subjects.get(locale)!;
        const res = await t.http
          .post(`/v1/templates/${key}/preview`)
          .set(bearer(p.secretKey))
          .send({ locale, participantId: id })
          .expect(200);
        await walk(key, locale, { html: res.body.html, text: res.body.text, headerLines: [] });
      }
  });

  it('walked every default email in every language, and found no tax or payout link', () => {
    const keys: string[] = [...EMAIL_TYPE_KEYS.filter((k) => k !== 'generic'), 'generic'];
    for (const key of keys)
      for (const locale of LOCALES)
        expect([key, locale, walked.has(`${key}/${locale}`)]).toEqual([key, locale, true]);
    for (const { key, locale, links } of walked.values()) {
      const web = links.filter((l) => !l.startsWith('mailto:'));
      // The only address to write to is the program's own reply-to.
      for (const mailto of links.filter((l) => l.startsWith('mailto:')))
        expect([key, mailto]).toEqual([key, 'mailto:help@acme.example']);
      if (key === 'w9-required' || key === 'payout-reminder')
        // Absent by design: the program set no pages, and the email asks for a reply instead.
        expect([key, locale, web]).toEqual([key, locale, []]);
      else if (SENT_ABOVE.includes(key))
        expect([key, locale, web.length > 0]).toEqual([key, locale, true]);
    }
    // What can be left carries the preference page: walked above like every other link.
    for (const locale of LOCALES) {
      for (const key of ['reward-earned', 'generic'])
        expect(
          walked.get(`${key}/${locale}`)!.links.some((l) => l.includes('/p/unsubscribe/')),
        ).toBe(true);
    }
  });
});
