import type { Response } from 'supertest';
import { SmtpTestServer, type ReceivedMail } from './support/smtp-test-server';
import {
  bearer,
  eventually,
  startTestApp,
  TEST_ADMIN_TOKEN,
  type TestApp,
} from './support/test-app';

type Program = { id: string; secretKey: string; publishableKey: string };

// Addresses that passed validation before and that nodemailer then rewrote: sent to another
// address than the one stored (or to two), or with a raw line separator in a header.
const AUDITED: Array<[string, string]> = [
  ['a soft hyphen in the domain', 'ceo@exam\u00adple.com'],
  ['a quoted local part with a comma', '"a,b"@example.com'],
  ['a line separator', 'a\u2028b@example.com'],
  ['a paragraph separator', 'ana@example.com\u2029'],
  ['a next-line character', 'ana\u0085@example.com'],
  ['a zero-width space', 'ana\u200b@example.com'],
  ['a right-to-left override', 'ana\u202e@example.com'],
  ['an IDN in Unicode form', 'ana@bücher.de'],
  ['an accented local part', 'josé@example.com'],
];

// Valid, and unusual enough that any rewriting would show: capitals, atext and an A-label.
const VALID = "Ana.O'Neil+ref-1@mail.example.com";
const VALID_IDN = 'Bo_x{1}~@xn--bcher-kva.de';
const VALID_IDN_AS_REPORTED = 'Bo_x{1}~@bücher.de';

/** The header line as it arrived, before any parsing. */
function rawHeader(mail: ReceivedMail, name: string): string | undefined {
  return mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
}

describe('Email addresses (e2e): one check at every entry point, sent as written', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let p: Program;

  const send = (method: 'put' | 'post' | 'patch', path: string, key: string, body: object) =>
    t.http[method](path).set(bearer(key)).send(body);

  // Each entry point of an address, with the field its refusal must name.
  const ENTRY_POINTS: Array<[string, string, (address: string) => Promise<Response>]> = [
    [
      'PUT /v1/participants/:id',
      'email',
      (a) => send('put', '/v1/participants/p-1', p.secretKey, { email: a }),
    ],
    [
      'POST /v1/events (participant)',
      'participant.email',
      (a) =>
        send('post', '/v1/events', p.secretKey, {
          type: 'signup',
          participant: { id: 'e-1', email: a },
        }),
    ],
    [
      'POST /v1/events (referrer)',
      'referrer.email',
      (a) =>
        send('post', '/v1/events', p.secretKey, {
          type: 'signup',
          participant: { id: 'e-2', email: 'e2@example.com' },
          referrer: { id: 'r-1', email: a },
        }),
    ],
    [
      'POST /v1/rules/simulate (participant)',
      'event.participant.email',
      (a) =>
        send('post', '/v1/rules/simulate', p.secretKey, {
          event: { type: 'signup', participant: { id: 's-1', email: a } },
        }),
    ],
    [
      'POST /v1/programs (replyTo)',
      'replyTo',
      (a) => send('post', '/v1/programs', TEST_ADMIN_TOKEN, { name: 'X', replyTo: a }),
    ],
    [
      'PATCH /v1/program (replyTo)',
      'replyTo',
      (a) => send('patch', '/v1/program', p.secretKey, { replyTo: a }),
    ],
    [
      'PATCH /v1/program (settings.alertEmail)',
      'settings.alertEmail',
      (a) => send('patch', '/v1/program', p.secretKey, { settings: { alertEmail: a } }),
    ],
    [
      'PUT /v1/integrations/smtp (fromAddress)',
      'fromAddress',
      (a) => send('put', '/v1/integrations/smtp', p.secretKey, { ...smtpBody(), fromAddress: a }),
    ],
    [
      'PUT /v1/integrations/smtp (testFromAddress)',
      'testFromAddress',
      (a) =>
        send('put', '/v1/integrations/smtp', p.secretKey, { ...smtpBody(), testFromAddress: a }),
    ],
    [
      'POST /v1/integrations/smtp/test',
      'to',
      (a) => send('post', '/v1/integrations/smtp/test', p.secretKey, { to: a }),
    ],
    [
      'PUT /v1/integrations/smtp/senders/:id',
      'email',
      (a) =>
        send('put', '/v1/integrations/smtp/senders/ana', p.secretKey, {
          email: a,
          password: 'pw-1',
        }),
    ],
    [
      'PUT /v1/integrations/sender-domain',
      'fromAddress',
      (a) =>
        send('put', '/v1/integrations/sender-domain', p.secretKey, {
          domain: 'example.com',
          fromAddress: a,
        }),
    ],
    [
      'POST /v1/templates/:key/test',
      'to',
      (a) => send('post', '/v1/templates/reward-earned/test', p.secretKey, { to: a }),
    ],
    [
      'POST /v1/public/verification',
      'email',
      (a) => send('post', '/v1/public/verification', p.publishableKey, { email: a }),
    ],
    [
      'POST /v1/public/password-reset',
      'email',
      (a) => send('post', '/v1/public/password-reset', p.publishableKey, { email: a }),
    ],
    [
      'POST /v1/public/sessions',
      'email',
      (a) =>
        send('post', '/v1/public/sessions', p.publishableKey, {
          email: a,
          password: 'secret-password-1',
        }),
    ],
  ];

  const smtpBody = () => ({
    host: smtp.host,
    port: smtp.port,
    security: 'tls',
    username: 'owner@acme.test',
    password: 'owner-Secret-1',
    fromAddress: 'rewards@acme.test',
  });

  const delivered = (to: string) =>
    eventually(async () => smtp.received.find((m) => m.envelope.rcptTo.includes(to)), 15000);

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        PUBLIC_RATE_LIMIT_IP_PER_MINUTE: '100000',
        PUBLIC_RATE_LIMIT_ADDRESS_PER_HOUR: '100000',
        PUBLIC_RATE_LIMIT_PROGRAM_PER_MINUTE: '100000',
      },
    });
    p = await t.createProgram({
      name: 'Addresses',
      replyTo: VALID,
      settings: { micrositeUrl: 'https://club.example.com/' },
    });
    expect((await send('put', '/v1/integrations/smtp', p.secretKey, smtpBody())).status).toBe(200);
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe.each(ENTRY_POINTS)('%s', (_route, field, request) => {
    it.each(AUDITED)(
      'refuses %s with 400 VALIDATION_FAILED naming the field',
      async (_name, address) => {
        const res = await request(address);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        const detail = (
          res.body.details as Array<{ field: string; code: string; message: string }>
        ).find((d) => d.field === field);
        expect(detail).toMatchObject({ code: 'INVALID_EMAIL_ADDRESS' });
        expect(detail?.message).toMatch(new RegExp(`^${field.split('.').pop()} must `));
      },
    );
  });

  it('refuses each audited address in a CSV import row by row, and imports the good rows', async () => {
    const csv = [
      'id,email',
      ...AUDITED.map(([, address], i) => `imp-${i},"${address.replace(/"/g, '""')}"`),
      `imp-ok,${VALID}`,
    ].join('\n');
    const res = await t.http
      .post('/v1/participants/import')
      .set(bearer(p.secretKey))
      .set('Content-Type', 'text/csv')
      .send(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1, failed: AUDITED.length });
    expect(res.body.errors).toHaveLength(AUDITED.length);
    for (const error of res.body.errors as Array<{ field: string; message: string }>) {
      expect(error).toMatchObject({
        field: 'email',
        message: expect.stringMatching(/^email must /),
      });
    }
    const stored = await t.http.get('/v1/participants/imp-ok').set(bearer(p.secretKey)).expect(200);
    expect(stored.body.email).toBe(VALID);
  });

  it('says what to change: the A-label of an IDN, and why a quoted address is refused', async () => {
    const idn = await send('put', '/v1/participants/p-2', p.secretKey, { email: 'ana@bücher.de' });
    expect(idn.body.details[0].message).toBe(
      'email must have its domain in ASCII (A-label) form: write xn--bcher-kva.de instead of bücher.de',
    );
    const quoted = await send('put', '/v1/participants/p-2', p.secretKey, {
      email: '"a,b"@example.com',
    });
    expect(quoted.body.details[0].message).toMatch(/quoted part before the @/);
    const hidden = await send('put', '/v1/participants/p-2', p.secretKey, {
      email: 'ceo@exam\u00adple.com',
    });
    expect(hidden.body.details[0].message).toMatch(/U\+00AD/);
  });

  it('sends a test email to a valid address byte for byte: envelope and To header', async () => {
    const res = await send('post', '/v1/integrations/smtp/test', p.secretKey, { to: VALID });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([VALID]);
    const mail = await delivered(VALID);
    expect(mail.envelope.rcptTo).toEqual([VALID]);
    expect(rawHeader(mail, 'To')).toBe(`To: ${VALID}`);
  });

  it('sends a template test to an A-label address and replies to the program address, byte for byte', async () => {
    // A template test goes only to the program's own addresses: make it the alert address.
    const patched = await send('patch', '/v1/program', p.secretKey, {
      settings: { alertEmail: VALID_IDN },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.settings.alertEmail).toBe(VALID_IDN);
    const res = await send('post', '/v1/templates/reward-earned/test', p.secretKey, {
      to: VALID_IDN,
    });
    expect(res.status).toBe(202);
    // smtp-server reports an envelope domain decoded from its A-label; the header is as sent.
    const mail = await delivered(VALID_IDN_AS_REPORTED);
    expect(mail.envelope.rcptTo).toEqual([VALID_IDN_AS_REPORTED]);
    expect(rawHeader(mail, 'To')).toBe(`To: ${VALID_IDN}`);
    expect(rawHeader(mail, 'Reply-To')).toBe(`Reply-To: ${VALID}`);
  });

  it("stores a participant's valid address as sent and emails it there unchanged", async () => {
    const address = 'Cy.Participant+1@example.com';
    const put = await send('put', '/v1/participants/cy', p.secretKey, { email: address });
    expect(put.status).toBe(201);
    expect(put.body.email).toBe(address);
    const res = await send('post', '/v1/public/verification', p.publishableKey, { email: address });
    expect(res.status).toBe(202);
    const mail = await delivered(address);
    expect(mail.envelope.rcptTo).toEqual([address]);
    expect(rawHeader(mail, 'To')).toBe(`To: ${address}`);
  });
});
