import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import * as loggerModule from '../src/common/logging/logger';
import type { ProgramKeys } from './support/participant-links';
import { SmtpTestServer, type ReceivedMail } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

const TAX_FORM = 'https://club.example.com/tax-form';
const PAYOUT_DETAILS = 'https://club.example.com/payout-details';

// What each language says when a W-9 or payout details have no page to link to.
const REPLY_WORDING = {
  en: {
    w9: 'Please reply to this email or write to help@acme.example, and we’ll tell you how to send your W-9 securely.',
    w9Contact:
      'Please contact the Plain Club team, and they’ll tell you how to send your W-9 securely.',
    payout: 'To send us what’s missing, reply to this email or write to help@acme.example',
  },
  es: {
    w9: 'Responde a este correo o escribe a help@acme.example y te diremos cómo enviarnos tu formulario W-9 de forma segura.',
    w9Contact:
      'Ponte en contacto con el equipo de Plain Club y te dirán cómo enviar tu formulario W-9 de forma segura.',
    payout: 'Para enviarnos lo que falta, responde a este correo o escribe a help@acme.example',
  },
  'pt-BR': {
    w9: 'Responda a este e-mail ou escreva para help@acme.example, e diremos como enviar seu formulário W-9 com segurança.',
    w9Contact:
      'Fale com a equipe Plain Club, que vai explicar como enviar seu formulário W-9 com segurança.',
    payout:
      'Para enviar o que está faltando, responda a este e-mail ou escreva para help@acme.example',
  },
} as const;
const LOCALES = ['en', 'es', 'pt-BR'] as const;

describe('Program links and postal address (e2e): no link to nowhere', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let dataDir: string;

  const patch = (p: ProgramKeys, settings: Record<string, unknown>) =>
    t.http.patch('/v1/program').set(bearer(p.secretKey)).send({ settings });
  const program = async (p: ProgramKeys) =>
    (await t.http.get('/v1/program').set(bearer(p.secretKey)).expect(200)).body as {
      settings: Record<string, unknown>;
      warnings: Array<{ code: string; setting: string; message: string }>;
    };

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'rn-links-'));
    t = await startTestApp({
      dataDir,
      env: { BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SWEEP_INTERVAL_MS: '200' },
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('settings.links', () => {
    it('names each missing page in GET /v1/program until it is set', async () => {
      const p = await t.createProgram({ name: 'Links' });
      expect((await program(p)).warnings).toEqual([
        {
          code: 'TAX_FORM_LINK_MISSING',
          setting: 'settings.links.taxForm',
          message: expect.stringContaining('W-9 notice'),
        },
        {
          code: 'PAYOUT_DETAILS_LINK_MISSING',
          setting: 'settings.links.payoutDetails',
          message: expect.stringContaining('payout reminders'),
        },
      ]);
      await patch(p, { links: { taxForm: TAX_FORM } }).expect(200);
      expect((await program(p)).warnings.map((w) => w.code)).toEqual([
        'PAYOUT_DETAILS_LINK_MISSING',
      ]);
      const both = await patch(p, { links: { taxForm: TAX_FORM, payoutDetails: PAYOUT_DETAILS } });
      expect(both.status).toBe(200);
      expect(both.body.warnings).toEqual([]);
      expect(both.body.settings.links).toEqual({
        taxForm: TAX_FORM,
        payoutDetails: PAYOUT_DETAILS,
      });
      // The other settings stay; links go as a whole.
      await patch(p, { links: null }).expect(200);
      expect((await program(p)).warnings).toHaveLength(2);
    });

    it.each([
      ['plain http', 'http://club.example.com/tax-form'],
      ['no scheme', 'club.example.com/tax-form'],
      ['another scheme', 'javascript:alert(1)'],
      ['a user and password', 'https://user:secret@club.example.com/tax-form'],
      ['over 500 characters', `https://club.example.com/${'a'.repeat(500)}`],
    ])('refuses a link with %s with VALIDATION_FAILED naming the field', async (_, value) => {
      const p = await t.createProgram({ name: 'Refused' });
      const res = await patch(p, { links: { taxForm: value } }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual([
        expect.objectContaining({
          field: 'settings.links.taxForm',
          message: expect.stringContaining('must be an absolute https URL'),
        }),
      ]);
      const created = await t.http
        .post('/v1/programs')
        .set(bearer(t.config.ADMIN_TOKEN!))
        .send({ name: 'At creation', settings: { links: { payoutDetails: value } } })
        .expect(400);
      expect(created.body.details[0].field).toBe('settings.links.payoutDetails');
    });

    it('shows the warning on every console page, in the console’s language, until it is set', async () => {
      const p = await t.createProgram({ name: 'Console links' });
      const agent = request.agent(t.app.getHttpServer());
      const form = await agent.get('/console/sign-in');
      await agent
        .post('/console/sign-in')
        .type('form')
        .send({ _csrf: csrfOf(form.text), secretKey: p.secretKey })
        .expect(303);
      const rules = await agent.get('/console/rules').set('Accept-Language', 'es').expect(200);
      expect(rules.text).toContain('A este programa le faltan ajustes');
      expect(rules.text).toContain('settings.links.taxForm');
      expect(rules.text).toContain('settings.links.payoutDetails');
      await patch(p, { links: { taxForm: TAX_FORM, payoutDetails: PAYOUT_DETAILS } }).expect(200);
      const after = await agent.get('/console/messages').set('Accept-Language', 'es').expect(200);
      expect(after.text).not.toContain('A este programa le faltan ajustes');
    });
  });

  describe('the emails that would need them', () => {
    let eventCounter = 0;
    const earn = async (p: ProgramKeys, id: string, locale: string) => {
      const res = await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({
          type: 'sale',
          participant: { id, email: `${id}@example.com`, locale },
          idempotencyKey: `sale-${++eventCounter}-${randomBytes(3).toString('hex')}`,
        })
        .expect(202);
      await eventually(async () => {
        const ev = await t.http.get(`/v1/events/${res.body.id}`).set(bearer(p.secretKey));
        return ev.body.status === 'processed';
      });
    };
    const mailOf = (to: string, subject: RegExp) =>
      eventually(
        async () =>
          smtp.received.find(
            (m) => m.envelope.rcptTo.includes(to) && subject.test(m.subject ?? ''),
          ),
        20000,
      );
    const w9Subject = /W-9/;
    const payoutSubject = /Reminder|Recordatorio|Lembrete/;
    const programWith = async (
      name: string,
      settings: Record<string, unknown>,
      replyTo?: string,
    ) => {
      const p = await t.createProgram({
        name,
        ...(replyTo ? { replyTo } : {}),
        settings: { payoutReminderIntervals: ['PT1S'], ...settings },
      });
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({
          name: 'Cash for a sale',
          event: 'sale',
          actions: [
            {
              type: 'reward',
              to: 'participant',
              kind: 'cash',
              amount: 700,
              currency: 'USD',
              email: false,
            },
          ],
        })
        .expect(201);
      return p;
    };
    const links = (mail: ReceivedMail) =>
      [...(mail.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);

    it.each(LOCALES)(
      'asks for a reply to the program’s address, in %s, while no page is set',
      async (locale) => {
        const p = await programWith(`Reply ${locale}`, {}, 'help@acme.example');
        const id = `reply-${locale.toLowerCase()}`;
        await earn(p, id, locale);
        const w9 = await mailOf(`${id}@example.com`, w9Subject);
        expect(w9.text).toContain(REPLY_WORDING[locale].w9);
        expect(links(w9)).toEqual([]);
        expect(w9.html).toContain('href="mailto:help@acme.example"');
        expect(w9.replyTo?.text).toBe('help@acme.example');

        const payout = await mailOf(`${id}@example.com`, payoutSubject);
        expect(payout.text).toContain(REPLY_WORDING[locale].payout);
        expect(links(payout)).toEqual([]);
      },
    );

    it.each(LOCALES)(
      'asks to contact the program, in %s, when it has no reply-to address either',
      async (locale) => {
        const p = await programWith('Plain Club', {});
        const id = `plain-${locale.toLowerCase()}`;
        await earn(p, id, locale);
        const w9 = await mailOf(`${id}@example.com`, w9Subject);
        expect(w9.text).toContain(REPLY_WORDING[locale].w9Contact);
        expect(w9.html).not.toContain('mailto:');
        expect(links(w9)).toEqual([]);
      },
    );

    it('links to the program’s pages once they are set, with no reply wording', async () => {
      const p = await programWith(
        'Linked',
        { links: { taxForm: TAX_FORM, payoutDetails: PAYOUT_DETAILS } },
        'help@acme.example',
      );
      await earn(p, 'linked', 'en');
      const w9 = await mailOf('linked@example.com', w9Subject);
      expect(links(w9)).toEqual([TAX_FORM]);
      expect(w9.html).toContain(`href="${TAX_FORM}"`);
      expect(w9.text).not.toContain(REPLY_WORDING.en.w9);
      const payout = await mailOf('linked@example.com', payoutSubject);
      expect(links(payout).sort()).toEqual([PAYOUT_DETAILS, TAX_FORM].sort());
      expect(payout.text).not.toContain('To send us what’s missing');
    });
  });

  describe('settings.postalAddress', () => {
    it('is in the footer of the default templates in every language', async () => {
      const p = await t.createProgram({
        name: 'Postal',
        settings: { postalAddress: 'Acme Inc., 100 Main Street, Springfield, IL 62701, USA' },
      });
      for (const locale of LOCALES) {
        for (const key of ['generic', 'reward-earned', 'verification']) {
          const res = await t.http
            .post(`/v1/templates/${key}/preview`)
            .set(bearer(p.secretKey))
            .send({ locale })
            .expect(200);
          expect([key, locale, res.body.html]).toEqual([
            key,
            locale,
            expect.stringContaining('Acme Inc., 100 Main Street, Springfield, IL 62701, USA</p>'),
          ]);
          expect(res.body.text).toContain('Acme Inc., 100 Main Street, Springfield, IL 62701, USA');
        }
      }
      const none = await t.createProgram({ name: 'No address' });
      const plain = await t.http
        .post('/v1/templates/generic/preview')
        .set(bearer(none.secretKey))
        .send({})
        .expect(200);
      expect(plain.body.text).not.toContain('Main Street');
    });

    it('is one line: a line break is refused', async () => {
      const p = await t.createProgram({ name: 'Two lines' });
      const res = await patch(p, { postalAddress: 'Acme Inc.\n100 Main Street' }).expect(400);
      expect(res.body.details[0]).toMatchObject({ field: 'settings.postalAddress' });
    });
  });

  describe('the log at start', () => {
    it('names each program’s missing pages once when the service starts', async () => {
      const complete = await t.createProgram({
        name: 'Complete',
        settings: { links: { taxForm: TAX_FORM, payoutDetails: PAYOUT_DETAILS } },
      });
      const half = await t.createProgram({
        name: 'Half',
        settings: { links: { taxForm: TAX_FORM } },
      });

      const createLogger = loggerModule.createLogger;
      const warnings: Array<[unknown, unknown]> = [];
      const spy = jest.spyOn(loggerModule, 'createLogger').mockImplementation((level) => {
        const logger = createLogger(level);
        const warn: (...args: unknown[]) => void = logger.warn.bind(logger);
        logger.warn = ((obj: unknown, msg: unknown, ...rest: unknown[]) => {
          warnings.push([obj, msg]);
          warn(obj, msg, ...rest);
        }) as typeof logger.warn;
        return logger;
      });
      // A second process on the same data, as after a restart.
      const again = await startTestApp({ dataDir, fresh: false });
      try {
        spy.mockRestore();
        await again.http.get('/v1/program').set(bearer(half.secretKey)).expect(200);
        const about = (id: string) =>
          warnings.filter(([obj]) => (obj as { programId?: string }).programId === id);
        expect(about(half.id)).toEqual([
          [
            { programId: half.id, missing: ['settings.links.payoutDetails'] },
            'program settings missing: its emails use wording without these links',
          ],
        ]);
        expect(about(complete.id)).toEqual([]);
        const incomplete = warnings.filter(([, msg]) =>
          String(msg).startsWith('program settings missing'),
        );
        // Every program without both pages, once each: none twice.
        const ids = incomplete.map(([obj]) => (obj as { programId: string }).programId);
        expect(new Set(ids).size).toBe(ids.length);
      } finally {
        spy.mockRestore();
        await again.close();
      }
    });
  });
});
