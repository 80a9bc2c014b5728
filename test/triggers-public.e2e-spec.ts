import { DataSource } from 'typeorm';
import { Message } from '../src/messages/message.entity';
import { BackgroundTasks } from '../src/common/async/background-tasks';
import { ParticipantToken } from '../src/participant-auth/tokens/participant-token.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string; publishableKey: string };

describe('Public triggers (e2e): verification, password reset, sessions, rate limits', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let program: ProgramKeys;
  let plain: ProgramKeys;

  // The public routes answer before the look-up and the email; this waits for those.
  const settled = () => t.app.get(BackgroundTasks).idle();
  const messages = (programId: string, templateKey: string, toEmail: string) =>
    t.app
      .get(DataSource)
      .getRepository(Message)
      .find({ where: { programId, templateKey, toEmail }, order: { createdAt: 'ASC' } });
  const tokenOf = (url: unknown) => new URL(String(url)).searchParams.get('token')!;
  const participant = (p: ProgramKeys, id: string, body: Record<string, unknown>) =>
    t.http
      .put(`/v1/participants/${id}`)
      .set(bearer(p.secretKey))
      .send(body)
      .expect((res) => expect([200, 201]).toContain(res.status));

  async function requestLink(
    p: ProgramKeys,
    route: 'verification' | 'password-reset',
    email: string,
    headers: Record<string, string> = {},
  ) {
    await t.http
      .post(`/v1/public/${route}`)
      .set(bearer(p.publishableKey))
      .set(headers)
      .send({ email })
      .expect(202);
    await settled();
    const sent = await messages(p.id, route, email);
    const last = sent[sent.length - 1];
    // The link is stored nowhere in clear: it is read where the participant reads it, in the email.
    const link = last ? await linkIn(last.id) : undefined;
    return { sent, last, link };
  }

  async function linkIn(messageId: string): Promise<string> {
    const mail = await eventually(async () => {
      const m = await t.app
        .get(DataSource)
        .getRepository(Message)
        .findOneByOrFail({ id: messageId });
      return m.status === 'sent'
        ? smtp.received.find((r) => r.messageId === m.messageId)
        : undefined;
    }, 15000);
    const url = /https?:\/\/[^\s<>"]+\?token=[A-Za-z0-9_-]+/.exec(mail.text ?? '');
    if (!url) throw new Error(`no one-time link in the email ${messageId}`);
    return url[0];
  }

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        PUBLIC_BASE_URL: 'https://rewards.example.org',
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      },
    });
    program = await t.createProgram({
      name: 'Club',
      settings: { micrositeUrl: 'https://club.example.com/' },
    });
    plain = await t.createProgram({ name: 'Plain' });
    await participant(program, 'ana', { email: 'ana@example.com', firstName: 'Ana', locale: 'es' });
    await participant(program, 'bo', { email: 'bo@example.com' });
    await participant(program, 'cy', { email: 'cy@example.com' });
    await participant(plain, 'dee', { email: 'dee@example.com' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const received = (to: string, subject: RegExp) =>
    eventually(
      async () =>
        smtp.received.find((m) => m.envelope.rcptTo.includes(to) && subject.test(m.subject ?? '')),
      15000,
    );

  describe('verification', () => {
    it('emails a one-time link on the microsite that verifies the address once', async () => {
      const { sent, last, link } = await requestLink(
        program,
        'verification',
        'ANA@example.com'.toLowerCase(),
      );
      expect(sent).toHaveLength(1);
      expect(last.sensitive).toBe(true);
      expect(last.participantId).toBe('ana');
      expect(last.locales[0]).toBe('es');
      expect(link).toMatch(/^https:\/\/club\.example\.com\/verify\?token=[A-Za-z0-9_-]{43}$/);
      expect(last.data.expiresInHours).toBe(24);
      const token = tokenOf(link);

      const ok = await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token })
        .expect(200);
      expect(ok.body).toEqual({ participantId: 'ana', emailVerified: true });
      const view = await t.http
        .get('/v1/participants/ana')
        .set(bearer(program.secretKey))
        .expect(200);
      expect(view.body.emailVerified).toBe(true);

      const again = await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token })
        .expect(400);
      expect(again.body.code).toBe('TOKEN_INVALID');
    });

    it('delivers a verification email whose link works', async () => {
      await participant(program, 'fay', { email: 'fay@example.com', firstName: 'Fay' });
      await t.http
        .post('/v1/public/verification')
        .set(bearer(program.publishableKey))
        .send({ email: 'fay@example.com' })
        .expect(202);
      const mail = await received('fay@example.com', /./);
      const link = /https:\/\/club\.example\.com\/verify\?token=[A-Za-z0-9_-]+/.exec(
        mail.text ?? '',
      )?.[0];
      expect(link).toBeDefined();
      expect(mail.html).toContain(link);
      const ok = await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token: tokenOf(link) })
        .expect(200);
      expect(ok.body).toEqual({ participantId: 'fay', emailVerified: true });
    });

    it('stores only the hash of the token', async () => {
      const { link } = await requestLink(program, 'verification', 'bo@example.com');
      const token = tokenOf(link);
      const rows = await t.app
        .get(DataSource)
        .getRepository(ParticipantToken)
        .findBy({ participantId: 'bo' });
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.tokenHash).not.toContain(token);
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('answers 400 TOKEN_INVALID for an expired token and a wrong one', async () => {
      const { link } = await requestLink(program, 'verification', 'cy@example.com');
      const token = tokenOf(link);
      await t.app
        .get(DataSource)
        .getRepository(ParticipantToken)
        .update({ participantId: 'cy' }, { expiresAt: new Date(Date.now() - 1000) });
      const expired = await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token })
        .expect(400);
      expect(expired.body).toMatchObject({ statusCode: 400, code: 'TOKEN_INVALID' });
      const wrong = await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token: 'not-a-token' })
        .expect(400);
      expect(wrong.body.code).toBe('TOKEN_INVALID');
    });

    it('voids the earlier link when a new one is sent', async () => {
      const first = tokenOf((await requestLink(program, 'verification', 'bo@example.com')).link);
      const second = tokenOf((await requestLink(program, 'verification', 'bo@example.com')).link);
      expect(second).not.toBe(first);
      await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token: first })
        .expect(400);
      await t.http
        .post('/v1/public/verification/confirm')
        .set(bearer(program.publishableKey))
        .send({ token: second })
        .expect(200);
    });

    it('lets exactly one of two concurrent confirms win', async () => {
      await participant(program, 'race', { email: 'race@example.com' });
      const token = tokenOf((await requestLink(program, 'verification', 'race@example.com')).link);
      const send = () =>
        t.http
          .post('/v1/public/verification/confirm')
          .set(bearer(program.publishableKey))
          .send({ token });
      const statuses = (await Promise.all([send(), send(), send()])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400, 400]);
    });

    it('answers 202 for an unknown address and sends nothing', async () => {
      const res = await t.http
        .post('/v1/public/verification')
        .set(bearer(program.publishableKey))
        .send({ email: 'nobody@example.com' })
        .expect(202);
      expect(res.body).toEqual({ status: 'accepted' });
      await settled();
      expect(await messages(program.id, 'verification', 'nobody@example.com')).toHaveLength(0);
    });

    it('does not tell a known address from an unknown one by the answer', async () => {
      const known = await t.http
        .post('/v1/public/verification')
        .set(bearer(plain.publishableKey))
        .send({ email: 'dee@example.com' });
      const unknown = await t.http
        .post('/v1/public/verification')
        .set(bearer(plain.publishableKey))
        .send({ email: 'nobody@example.com' });
      expect([known.status, unknown.status]).toEqual([202, 202]);
      expect(known.body).toEqual(unknown.body);
      await settled();
    });

    it('builds the link from PUBLIC_BASE_URL, never from the Host header', async () => {
      const { link } = await requestLink(plain, 'verification', 'dee@example.com', {
        Host: 'evil.example.net',
        'X-Forwarded-Host': 'evil.example.net',
      });
      expect(link).toMatch(/^https:\/\/rewards\.example\.org\/p\/verify\?token=/);
    });

    it('keeps the link out of the message log', async () => {
      const { last, link } = await requestLink(plain, 'verification', 'dee@example.com');
      const res = await t.http.get(`/v1/messages/${last.id}`).set(bearer(plain.secretKey));
      if (res.status === 200) expect(JSON.stringify(res.body)).not.toContain(tokenOf(link));
    });

    it('answers 400 VALIDATION_FAILED for a body without a valid email', async () => {
      const res = await t.http
        .post('/v1/public/verification')
        .set(bearer(program.publishableKey))
        .send({ email: 'nope' })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('keys', () => {
    it('answers 403 to the secret key on a public route', async () => {
      const res = await t.http
        .post('/v1/public/verification')
        .set(bearer(program.secretKey))
        .send({ email: 'ana@example.com' })
        .expect(403);
      expect(res.body.code).toBe('SECRET_KEY_NOT_ALLOWED');
      await t.http
        .post('/v1/public/sessions')
        .set(bearer(program.secretKey))
        .send({ email: 'ana@example.com', password: 'x' })
        .expect(403);
    });

    it('answers 403 to the publishable key on a secret route', async () => {
      const res = await t.http
        .get('/v1/participants/ana/tax-summary')
        .set(bearer(program.publishableKey))
        .expect(403);
      expect(res.body.code).toBe('PUBLISHABLE_KEY_NOT_ALLOWED');
    });

    it('answers 401 without a key', async () => {
      await t.http.post('/v1/public/verification').send({ email: 'ana@example.com' }).expect(401);
    });
  });

  describe('password reset and sessions', () => {
    it('resets the password once, voids other reset links, tells the participant and signs in with it', async () => {
      await participant(program, 'eve', { email: 'eve@example.com', firstName: 'Eve' });
      const older = tokenOf((await requestLink(program, 'password-reset', 'eve@example.com')).link);
      const { last, link } = await requestLink(program, 'password-reset', 'eve@example.com');
      expect(last.sensitive).toBe(true);
      expect(link).toMatch(/^https:\/\/club\.example\.com\/reset-password\?token=/);
      expect(last.data.expiresInHours).toBe(1);
      const token = tokenOf(link);
      const pk = bearer(program.publishableKey);

      const short = await t.http
        .post('/v1/public/password-reset/confirm')
        .set(pk)
        .send({ token, password: 'short' })
        .expect(400);
      expect(short.body.code).toBe('VALIDATION_FAILED');
      const long = await t.http
        .post('/v1/public/password-reset/confirm')
        .set(pk)
        .send({ token, password: 'x'.repeat(257) })
        .expect(400);
      expect(long.body.code).toBe('VALIDATION_FAILED');

      await t.http
        .post('/v1/public/password-reset/confirm')
        .set(pk)
        .send({ token: older, password: 'a-new-password' })
        .expect(400);
      const ok = await t.http
        .post('/v1/public/password-reset/confirm')
        .set(pk)
        .send({ token, password: 'a-new-password' })
        .expect(200);
      expect(ok.body).toEqual({ participantId: 'eve' });
      expect(JSON.stringify(ok.body)).not.toContain('a-new-password');
      const reused = await t.http
        .post('/v1/public/password-reset/confirm')
        .set(pk)
        .send({ token, password: 'another-password' })
        .expect(400);
      expect(reused.body.code).toBe('TOKEN_INVALID');

      const changed = await messages(program.id, 'password-changed', 'eve@example.com');
      expect(changed).toHaveLength(1);
      expect(changed[0].data.resetUrl).toBe('https://club.example.com/reset-password');
      const notice = await eventually(
        async () =>
          smtp.received.find(
            (m) =>
              m.envelope.rcptTo.includes('eve@example.com') &&
              (m.text ?? '').includes('https://club.example.com/reset-password\n'),
          ),
        15000,
      );
      expect(notice.text).not.toContain('token=');

      const session = await t.http
        .post('/v1/public/sessions')
        .set(pk)
        .send({ email: 'EVE@example.com', password: 'a-new-password' })
        .expect(200);
      expect(session.body).toEqual({ participantId: 'eve' });
      const wrong = await t.http
        .post('/v1/public/sessions')
        .set(pk)
        .send({ email: 'eve@example.com', password: 'not-the-password' })
        .expect(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('answers 401 INVALID_CREDENTIALS for an unknown address and for one without a password, taking as long', async () => {
      const pk = bearer(program.publishableKey);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        const res = await t.http
          .post('/v1/public/sessions')
          .set(pk)
          .send({ email, password: 'whatever-password' })
          .expect(401);
        expect(res.body.code).toBe('INVALID_CREDENTIALS');
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const unknown = await time('ghost@example.com');
      const known = await time('bo@example.com');
      // Both pay for one scrypt verification; an early return would be an order of magnitude faster.
      expect(unknown).toBeGreaterThan(known / 4);
    });

    it('answers 202 for an unknown address and sends nothing', async () => {
      await t.http
        .post('/v1/public/password-reset')
        .set(bearer(program.publishableKey))
        .send({ email: 'ghost@example.com' })
        .expect(202);
      await settled();
      expect(await messages(program.id, 'password-reset', 'ghost@example.com')).toHaveLength(0);
    });
  });

  describe('rate limits', () => {
    it('sends a few emails for 100 reset requests for one address and answers the rest 429 with Retry-After', async () => {
      const flood = await t.createProgram({ name: 'Flood' });
      await participant(flood, 'victim', { email: 'victim@example.com' });
      const statuses: number[] = [];
      let limited: { headers: Record<string, string>; body: Record<string, unknown> } | undefined;
      for (let i = 0; i < 100; i++) {
        const res = await t.http
          .post('/v1/public/password-reset')
          .set(bearer(flood.publishableKey))
          .send({ email: 'victim@example.com' });
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      await settled();
      const accepted = statuses.filter((s) => s === 202).length;
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThanOrEqual(t.config.PUBLIC_RATE_LIMIT_ADDRESS_PER_HOUR);
      expect(statuses.filter((s) => s === 429)).toHaveLength(100 - accepted);
      expect(limited!.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);

      const sent = await messages(flood.id, 'password-reset', 'victim@example.com');
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.length).toBeLessThanOrEqual(t.config.TOKEN_EMAILS_PER_ADDRESS_PER_HOUR);
    });

    it('limits each IP address across addresses', async () => {
      const other = await t.createProgram({ name: 'Spray' });
      const statuses: number[] = [];
      for (let i = 0; i < t.config.PUBLIC_RATE_LIMIT_IP_PER_MINUTE + 5; i++) {
        const res = await t.http
          .post('/v1/public/verification')
          .set(bearer(other.publishableKey))
          .send({ email: `spray${i}@example.com` });
        statuses.push(res.status);
      }
      await settled();
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(
        t.config.PUBLIC_RATE_LIMIT_IP_PER_MINUTE,
      );
    });
  });
});
