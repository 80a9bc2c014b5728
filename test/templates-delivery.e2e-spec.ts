import { simpleParser } from 'mailparser';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string };

// Non-ASCII, entities, a long line and a line-leading dot: what transfer encodings tend to change.
const OVERRIDE = {
  subject:
    '¡{{program.name}}! Confirma tu correo, “{{default participant.firstName "amiga"}}” — ünïcödé & más',
  html:
    '<p>Hola {{default participant.firstName "amiga"}} &amp; bienvenida a {{program.name}}: <b>“ñ”</b> 😀</p>\n' +
    `<p>${'Una línea muy larga que obliga a partir el texto al codificarlo. '.repeat(8)}</p>\n` +
    '.<p>Empieza con punto</p>\n{{> button href=verifyUrl label="Confirmar mi correo"}}',
  text: 'Hola {{default participant.firstName "amiga"}}:\n\n.Confirma aquí: {{verifyUrl}}\n\n— {{program.name}}',
};

describe('Templates: preview and sent message (e2e)', () => {
  let t: TestApp;
  let a: ProgramKeys;

  beforeAll(async () => {
    t = await startTestApp();
    a = await t.createProgram({ name: 'Acme “Rewards”', timezone: 'America/New_York' });
    await t.http
      .put('/v1/participants/ana')
      .set(bearer(a.secretKey))
      .send({ email: 'ana@example.com', firstName: 'Ana María', locale: 'es' })
      .expect(201);
    // Template tests go only to the program's own addresses: its participants.
    await t.http
      .put('/v1/participants/qa')
      .set(bearer(a.secretKey))
      .send({ email: 'qa@example.com' })
      .expect(201);
    await t.http
      .put('/v1/templates/verification/es')
      .set(bearer(a.secretKey))
      .send(OVERRIDE)
      .expect(201);
  });
  afterAll(() => t.close());

  const sent = (id: string) =>
    eventually(async () => {
      const res = await t.http.get(`/v1/messages/${id}`).set(bearer(a.secretKey));
      if (res.body.status === 'failed')
        throw new Error(`message failed: ${JSON.stringify(res.body.error)}`);
      return res.body.status === 'sent' ? res.body : undefined;
    });

  it.each([
    ['a participant', { participantId: 'ana' }],
    [
      'sample data and given data',
      {
        locale: 'es',
        data: { participant: { firstName: 'Zoë' }, verifyUrl: 'https://acme.example/v?t=a&b=c' },
      },
    ],
    ['a default template', { locale: 'pt-BR', participantId: 'ana' }],
  ])('sends what the preview showed, byte for byte, with %s', async (_what, body) => {
    const preview = await t.http
      .post('/v1/templates/verification/preview')
      .set(bearer(a.secretKey))
      .send(body)
      .expect(200);
    const queued = await t.http
      .post('/v1/templates/verification/test')
      .set(bearer(a.secretKey))
      .send({ ...body, to: 'qa@example.com' })
      .expect(202);
    expect(queued.body).toMatchObject({
      status: 'queued',
      subject: preview.body.subject,
      locale: preview.body.locale,
      source: preview.body.source,
    });

    const message = await sent(queued.body.messageId);
    expect(message).toMatchObject({
      template: 'verification',
      to: 'qa@example.com',
      transport: 'builtin',
      locale: preview.body.locale,
    });
    expect(message.content).toEqual({
      subject: preview.body.subject,
      html: preview.body.html,
      text: preview.body.text,
    });

    // The .eml the built-in sender wrote, decoded: the same three parts.
    const raw = await readFile(join(t.dataDir, 'outbox', a.id, `${queued.body.messageId}.eml`));
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(preview.body.subject);
    expect(mail.html).toBe(preview.body.html);
    expect(mail.text).toBe(preview.body.text);
    expect(mail.to && 'text' in mail.to ? mail.to.text : undefined).toBe('qa@example.com');
  });
});
