import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { BackgroundTasks } from '../src/common/async/background-tasks';
import { Message } from '../src/messages/message.entity';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

type ProgramKeys = { id: string; secretKey: string; publishableKey: string };

/** Links, addresses and limits of the participants' own flows, as an attacker tried them. */
describe('Participant auth hardening (e2e)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let p: ProgramKeys;

  const settled = () => t.app.get(BackgroundTasks).idle();
  const put = (id: string, body: object) =>
    t.http.put(`/v1/participants/${id}`).set(bearer(p.secretKey)).send(body);
  const pub = (path: string, body: object, ip = '192.0.2.1') =>
    t.http
      .post(`/v1/public/${path}`)
      .set(bearer(p.publishableKey))
      .set('X-Forwarded-For', ip)
      .send(body);

  /** The link of the newest email to `to`, as the recipient reads it in their mailbox. */
  const linkTo = async (to: string, path: string) => {
    const before = smtp.received.filter((m) => m.envelope.rcptTo.includes(to)).length;
    await settled();
    const mail = await eventually(async () => {
      const mine = smtp.received.filter((m) => m.envelope.rcptTo.includes(to));
      return mine.length > before - 1 ? mine[mine.length - 1] : undefined;
    });
    const link = new RegExp(`https://[^\\s"<>]*${path}\\?token=([A-Za-z0-9_-]+)`).exec(
      mail.text ?? '',
    );
    if (!link) throw new Error(`no ${path} link in the email to ${to}`);
    return link[1];
  };

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    t = await startTestApp({
      env: {
        PUBLIC_BASE_URL: 'https://rewards.example.org',
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        // The tests speak for several clients through X-Forwarded-For, as a proxy would.
        TRUST_PROXY: 'loopback',
      },
    });
    p = await t.createProgram({ name: 'Links' });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe('a link is bound to the address it was sent to', () => {
    it('does not verify a new, unchecked address with a link sent to the old one', async () => {
      await put('mia', { email: 'mia@example.com' }).expect(201);
      await pub('verification', { email: 'mia@example.com' }).expect(202);
      const token = await linkTo('mia@example.com', '/verify');
      await put('mia', { email: 'attacker@example.net' }).expect(200);
      const res = await pub('verification/confirm', { token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('TOKEN_INVALID');
      const mia = await t.http.get('/v1/participants/mia').set(bearer(p.secretKey)).expect(200);
      expect(mia.body.emailVerified).toBe(false);
    });

    it('takes emailVerified away when the address changes', async () => {
      await put('noa', { email: 'noa@example.com' }).expect(201);
      await pub('verification', { email: 'noa@example.com' }).expect(202);
      await pub('verification/confirm', {
        token: await linkTo('noa@example.com', '/verify'),
      }).expect(200);
      expect(
        (await t.http.get('/v1/participants/noa').set(bearer(p.secretKey))).body.emailVerified,
      ).toBe(true);
      await put('noa', { email: 'noa.new@example.com' }).expect(200);
      expect(
        (await t.http.get('/v1/participants/noa').set(bearer(p.secretKey))).body.emailVerified,
      ).toBe(false);
    });

    it('does not set a password with a reset link sent to the old address', async () => {
      await put('oli', { email: 'oli@example.com' }).expect(201);
      await pub('password-reset', { email: 'oli@example.com' }).expect(202);
      const token = await linkTo('oli@example.com', '/reset-password');
      await put('oli', { email: 'oli.moved@example.com' }).expect(200);
      const res = await pub('password-reset/confirm', { token, password: 'Str0ng-enough-pass' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('TOKEN_INVALID');
      const signIn = await pub('sessions', {
        email: 'oli.moved@example.com',
        password: 'Str0ng-enough-pass',
      });
      expect(signIn.status).toBe(401);
    });
  });

  describe('no usable link at rest', () => {
    it('keeps no link in clear in the database, before or after the email goes out', async () => {
      await put('pia', { email: 'pia@example.com' }).expect(201);
      await pub('verification', { email: 'pia@example.com' }).expect(202);
      await settled();
      const repo = t.app.get(DataSource).getRepository(Message);
      const [written] = await repo.findBy({ programId: p.id, toEmail: 'pia@example.com' });
      const token = await linkTo('pia@example.com', '/verify');
      const sent = await eventually(async () => {
        const m = await repo.findOneByOrFail({ id: written.id });
        return m.status === 'sent' ? m : undefined;
      });
      for (const row of [written, sent]) expect(JSON.stringify(row)).not.toContain(token);
      expect(sent).toMatchObject({ html: null, text: null, sealedData: null, sensitive: true });
      // The link still works: it was in the email, and only there.
      await pub('verification/confirm', { token }).expect(200);
    });

    it('keeps the data folder, and the SQLite file when there is one, to their owner', async () => {
      // A folder an operator made with the usual 0755: the service closes it.
      const dir = mkdtempSync(join(tmpdir(), 'rn-perms-'));
      chmodSync(dir, 0o755);
      const app = await startTestApp({ dataDir: dir, fresh: false });
      try {
        expect(statSync(dir).mode & 0o777).toBe(0o700);
        // On Postgres there is no database file in the data folder.
        if (!process.env.DATABASE_URL) {
          expect(statSync(join(dir, 'app.sqlite')).mode & 0o777).toBe(0o600);
        }
      } finally {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('one participant per address', () => {
    it('refuses a second participant with the same address in any case, and says whose it is', async () => {
      await put('victim', { email: 'victim@example.com' }).expect(201);
      const dup = await put('attacker', { email: 'Victim@Example.com' });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('PARTICIPANT_EMAIL_TAKEN');
      expect(dup.body.message).toContain('"victim"');
      const viaEvent = await t.http
        .post('/v1/events')
        .set(bearer(p.secretKey))
        .send({ type: 'signup', participant: { id: 'attacker2', email: 'VICTIM@example.com' } });
      expect(viaEvent.status).toBe(409);
      expect(viaEvent.body.code).toBe('PARTICIPANT_EMAIL_TAKEN');
      // The reset goes to the one participant who has the address.
      await pub('password-reset', { email: 'VICTIM@EXAMPLE.COM' }).expect(202);
      await linkTo('victim@example.com', '/reset-password');
    });
  });

  describe('limits', () => {
    it('lets the owner of an address in while a stranger elsewhere is refused for naming it', async () => {
      await put('zoe', { email: 'zoe@example.com' }).expect(201);
      const stranger: number[] = [];
      for (let i = 0; i < 12; i++)
        stranger.push(
          (
            await pub(
              'sessions',
              { email: 'zoe@example.com', password: 'guess-number-' + i },
              '198.51.100.66',
            )
          ).status,
        );
      expect(stranger.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(stranger.slice(10)).toEqual([429, 429]);
      // Zoe, from her own address, is not locked out.
      expect(
        (
          await pub(
            'sessions',
            { email: 'zoe@example.com', password: 'not-her-password' },
            '203.0.113.9',
          )
        ).status,
      ).toBe(401);
      await pub('password-reset', { email: 'zoe@example.com' }, '203.0.113.9').expect(202);
    });

    it('caps concurrent password checks: a flood gets 503 with Retry-After, never a 500, and health answers', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          pub(
            'sessions',
            { email: `flood${i}@example.com`, password: 'x-password-1' },
            `10.9.${i >> 8}.${i & 255}`,
          ).then((r) => ({
            status: r.status,
            retryAfter: r.headers['retry-after'],
          })),
        ),
      );
      const busy = statuses.filter((s) => s.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy.every((s) => s.retryAfter === '1')).toBe(true);
      expect(statuses.every((s) => [401, 429, 503].includes(s.status))).toBe(true);
      await t.http.get('/health').expect(200);
    });
  });
});
