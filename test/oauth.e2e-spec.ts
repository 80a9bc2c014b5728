import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IntegrationSecrets } from '../src/common/crypto/integration-secrets';
import { OAuthState } from '../src/integrations/oauth/oauth-state.entity';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { AccessTokens } from '../src/transports/oauth/access-tokens';
import { OAuthGrant, senderOwner } from '../src/transports/oauth/oauth-grant.entity';
import { ImapTestServer } from './support/imap-test-server';
import { OAuthTestServer, xoauth2Check } from './support/oauth-test-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const OWNER = 'owner@acme.test';
const ANA = 'ana@acme.test';
const BOUNCES = 'bounces@acme.test';
const PUBLIC_BASE_URL = 'https://notify.acme.test';

type Program = { id: string; secretKey: string };

/**
 * Sign-in with Microsoft and Google (OAuth 2.0, XOAUTH2) against a local authorization server
 * (oauth2-mock-server, its tokens signed with its own keys), an SMTP server that accepts only
 * XOAUTH2 and checks each token's signature, expiry and mailbox against that server's keys, and a
 * Dovecot whose oauth2 passdb checks IMAP logins by token introspection.
 */
describe('OAuth 2.0 sign-in for SMTP and IMAP (e2e)', () => {
  let oauth: OAuthTestServer;
  let smtp: SmtpTestServer;
  let relay: SmtpTestServer;
  let imap: ImapTestServer;
  let t: TestApp;
  let db: DataSource;
  let n = 0;

  const api = (p: Program) => ({
    get: (path: string) => t.http.get(path).set(bearer(p.secretKey)),
    post: (path: string, body: object) => t.http.post(path).set(bearer(p.secretKey)).send(body),
    put: (path: string, body: object) => t.http.put(path).set(bearer(p.secretKey)).send(body),
  });
  const smtpServer = () => ({ host: 'localhost', port: smtp.port, security: 'tls' });

  /** Authorize, sign in at the provider, and follow its redirect to the callback. */
  async function connect(p: Program, body: object, accept = 'application/json') {
    const started = await api(p).post('/v1/integrations/oauth/authorize', {
      provider: 'microsoft',
      ...body,
    });
    expect(started.status).toBe(200);
    const back = await oauth.signIn(started.body.authorizeUrl);
    const callback = await t.http.get(`${back.pathname}${back.search}`).set('Accept', accept);
    return { started, back, callback };
  }

  const send = async (p: Program, to: string, senderId?: string) => {
    const program = (await t.app.get(ProgramsService).findById(p.id))!;
    return t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: to },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: `oauth-${++n}`,
      senderId: senderId ?? null,
    });
  };
  const message = (id: string) => db.getRepository(Message).findOneByOrFail({ id });
  const sent = (id: string) =>
    eventually(async () => {
      const m = await message(id);
      if (m.status === 'failed') throw new Error(`${m.errorCode}: ${m.errorMessage}`);
      return m.status === 'sent' ? m : undefined;
    }, 30_000);

  beforeAll(async () => {
    oauth = await OAuthTestServer.start();
    [smtp, relay, imap] = await Promise.all([
      SmtpTestServer.start({
        authMethods: ['XOAUTH2'],
        authRequired: true,
        onAuth: xoauth2Check(oauth),
      }),
      SmtpTestServer.start({ authMethods: [] }),
      ImapTestServer.start({
        users: {
          [ANA]: { password: 'ana-imap-password', mailboxes: ['Sent'] },
          [BOUNCES]: 'bounces-imap-password',
        },
        specialUse: { Sent: '\\Sent' },
        oauth2: { introspectionUrl: oauth.introspectionUrl },
      }),
    ]);
    t = await startTestApp({
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        INBOUND_MAILBOX_POLL_MS: '250',
        // A worker notices a mailbox changed under it at its next lease renewal (a third of this).
        INBOUND_MAILBOX_LEASE_MS: '3000',
        PUBLIC_BASE_URL,
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${relay.port}`,
        ...oauth.env('microsoft'),
      },
    });
    db = t.app.get(DataSource);
  }, 90_000);

  afterAll(async () => {
    await t?.close();
    await Promise.all([smtp?.stop(), relay?.stop(), imap?.stop(), oauth?.stop()]);
  });

  describe('the whole flow', () => {
    let p: Program;
    beforeAll(async () => {
      p = await t.createProgram({ name: 'Acme' });
    });

    it('connects the SMTP integration with Microsoft and sends authenticated as the account', async () => {
      const { started, back, callback } = await connect(p, {
        for: 'integration',
        email: OWNER,
        smtp: smtpServer(),
      });
      const url = new URL(started.body.authorizeUrl);
      expect(url.origin + url.pathname).toBe(oauth.authorizeUrl);
      expect(url.searchParams.get('response_type')).toBe('code');
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('redirect_uri')).toBe(`${PUBLIC_BASE_URL}/oauth/callback`);
      expect(url.searchParams.get('login_hint')).toBe(OWNER);
      expect(url.searchParams.get('scope')?.split(' ')).toEqual([
        'https://outlook.office.com/SMTP.Send',
        'offline_access',
      ]);
      expect(back.searchParams.get('state')).toBe(url.searchParams.get('state'));
      expect(callback.status).toBe(200);
      expect(callback.body).toMatchObject({
        status: 'connected',
        purpose: 'integration',
        provider: 'microsoft',
        email: OWNER,
        account: { status: 'connected', auth: { type: 'oauth2' } },
      });
      // A browser gets a page that says so.
      const page = await t.http
        .get('/oauth/callback?state=unknown')
        .set('Accept', 'text/html,application/xhtml+xml');
      expect(page.status).toBe(400);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.text).toContain('Not connected');
      expect(page.text).toContain('OAUTH_STATE_INVALID');

      const integration = await api(p).get('/v1/integrations/smtp').expect(200);
      expect(integration.body).toMatchObject({
        status: 'connected',
        host: 'localhost',
        username: OWNER,
        fromAddress: OWNER,
        hasPassword: false,
        auth: { type: 'oauth2', provider: 'microsoft', email: OWNER },
      });

      smtp.reset();
      const id = (await send(p, 'pat@example.com')).id;
      const m = await sent(id);
      expect(m.transport).toBe('smtp');
      const [mail] = await smtp.waitForMessages(1);
      expect(mail.envelope.user).toBe(OWNER);
      expect(mail.envelope.mailFrom).toBe(OWNER);
      expect(smtp.authAttempts.map((a) => [a.method, a.username, a.accepted])).toContainEqual([
        'XOAUTH2',
        OWNER,
        true,
      ]);
      // The test email goes the same way.
      const test = await api(p)
        .post('/v1/integrations/smtp/test', { to: 'ops@example.com' })
        .expect(200);
      expect(test.body.accepted).toEqual(['ops@example.com']);
    });

    it('keeps the refresh and access tokens sealed at rest and out of every answer', async () => {
      const grant = await db.getRepository(OAuthGrant).findOneByOrFail({
        programId: p.id,
        owner: 'integration',
      });
      const { issued } = await oauth.stats();
      const secrets = t.app.get(IntegrationSecrets);
      expect(issued.refresh).toContain(secrets.open(p.id, grant.refreshTokenSealed));
      expect(issued.access).toContain(secrets.open(p.id, grant.accessTokenSealed!));
      const row = JSON.stringify(grant);
      const answers = [
        (await api(p).get('/v1/integrations/smtp')).text,
        (await api(p).get('/v1/messages?limit=50')).text,
      ].join('\n');
      for (const token of [...issued.refresh, ...issued.access]) {
        expect(row).not.toContain(token);
        expect(answers).not.toContain(token);
      }
    });

    it('connects a sender identity, sends as it, and files the Sent copy over IMAP with XOAUTH2 (Dovecot)', async () => {
      const imapServer = { host: 'localhost', port: imap.port, security: 'ssl' };
      const { started, callback } = await connect(p, {
        for: 'sender',
        senderId: 'ana',
        email: ANA,
        fromName: 'Ana Agent',
        saveToSent: 'on',
        imap: imapServer,
        returnTo: '/console/integrations#senders',
      });
      // With a Sent copy, IMAP access is asked for too.
      expect(new URL(started.body.authorizeUrl).searchParams.get('scope')).toContain(
        'https://outlook.office.com/IMAP.AccessAsUser.All',
      );
      expect(callback.status).toBe(303);
      expect(callback.headers.location).toBe(
        `${PUBLIC_BASE_URL}/console/integrations?oauth=connected#senders`,
      );
      const sender = await api(p).get('/v1/integrations/smtp/senders/ana').expect(200);
      expect(sender.body).toMatchObject({
        email: ANA,
        fromName: 'Ana Agent',
        status: 'connected',
        savesToSent: true,
        hasPassword: false,
        auth: { type: 'oauth2', provider: 'microsoft', email: ANA },
      });

      smtp.reset();
      const test = await api(p)
        .post('/v1/integrations/smtp/senders/ana/test', { to: 'ops@example.com' })
        .expect(200);
      expect(test.body.sentFolder).toEqual({ saved: true, mailbox: 'Sent' });

      const id = (await send(p, 'lee@example.com', 'ana')).id;
      const m = await sent(id);
      const received = await smtp.waitForMessages(2);
      expect(received.map((r) => r.envelope.user)).toEqual([ANA, ANA]);
      expect(received[1].from?.value[0].address).toBe(ANA);
      const copy = await eventually(() => imap.findMessage(ANA, m.messageId!), 15_000);
      expect(copy.mailbox).toBe('Sent');
      expect(copy.flags).toContain('\\Seen');
      // Dovecot asked the authorization server about each token it was given.
      expect((await oauth.stats()).counts.introspect).toBeGreaterThanOrEqual(2);
    });

    it('connects the inbound mailbox with XOAUTH2 and reads it', async () => {
      const { callback } = await connect(
        p,
        {
          for: 'inbound-mailbox',
          email: BOUNCES,
          imap: { host: 'localhost', port: imap.port, security: 'ssl' },
          read: 'bounces',
        },
        'text/html',
      );
      expect(callback.status).toBe(200);
      expect(callback.text).toContain(
        `${BOUNCES} is connected with Microsoft as the inbound mailbox.`,
      );
      const mailbox = await api(p).get('/v1/integrations/inbound-mailbox').expect(200);
      expect(mailbox.body).toMatchObject({
        status: 'connected',
        username: BOUNCES,
        folder: 'INBOX',
        hasPassword: false,
        auth: { type: 'oauth2', provider: 'microsoft', email: BOUNCES },
      });
      const test = await api(p).post('/v1/integrations/inbound-mailbox/test', {}).expect(200);
      expect(test.body).toEqual({ folder: 'INBOX', messages: 0 });
      // The worker reads it with the same sign-in.
      await eventually(async () => {
        const m = (await api(p).get('/v1/integrations/inbound-mailbox')).body;
        return m.lastCheckedAt && !m.lastError ? m : undefined;
      }, 30_000);
    });

    it('stops reading a mailbox whose sign-in was revoked, and reads it again once reconnected', async () => {
      // Connected again with a token that lapses at once, then revoked at the provider.
      const mailbox = {
        for: 'inbound-mailbox',
        email: BOUNCES,
        imap: { host: 'localhost', port: imap.port, security: 'ssl' },
      };
      await oauth.set({ accessLifetimeS: 2 });
      expect((await connect(p, mailbox)).callback.status).toBe(200);
      await oauth.set({ accessLifetimeS: 3600 });
      await new Promise((resolve) => setTimeout(resolve, 2200));
      await oauth.revokeAll();
      const refused = await api(p).post('/v1/integrations/inbound-mailbox/test', {});
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('OAUTH_REAUTHORIZATION_REQUIRED');
      // The worker that reads it lets go and no worker takes it while it waits for a person.
      const waiting = await eventually(async () => {
        const m = (await api(p).get('/v1/integrations/inbound-mailbox')).body;
        return m.status === 'reauthorization_required' && !m.reading ? m : undefined;
      }, 30_000);
      expect(waiting.lastError.code).toBe('OAUTH_REAUTHORIZATION_REQUIRED');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await api(p).get('/v1/integrations/inbound-mailbox')).body.reading).toBe(false);

      expect((await connect(p, mailbox)).callback.status).toBe(200);
      await api(p).post('/v1/integrations/inbound-mailbox/test', {}).expect(200);
      await eventually(async () => {
        const m = (await api(p).get('/v1/integrations/inbound-mailbox')).body;
        return m.status === 'connected' && m.reading ? m : undefined;
      }, 30_000);
    });
  });

  describe('refused steps save nothing', () => {
    let q: Program;
    const stateOf = (authorizeUrl: string) => new URL(authorizeUrl).searchParams.get('state')!;
    const nothingSaved = async () => {
      expect((await api(q).get('/v1/integrations/smtp')).status).toBe(404);
      expect(await db.getRepository(OAuthGrant).countBy({ programId: q.id })).toBe(0);
    };
    const start = (body: object = {}) =>
      api(q).post('/v1/integrations/oauth/authorize', {
        provider: 'microsoft',
        for: 'integration',
        email: OWNER,
        smtp: smtpServer(),
        ...body,
      });

    beforeAll(async () => {
      q = await t.createProgram({
        name: 'Refusals',
        settings: { micrositeUrl: 'https://rewards.acme.test/app' },
      });
    });

    it('refuses a state it never issued, and a missing one', async () => {
      const wrong = await t.http.get(
        `/oauth/callback?code=abc&state=${randomBytes(32).toString('base64url')}`,
      );
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('OAUTH_STATE_INVALID');
      expect(wrong.headers['referrer-policy']).toBe('no-referrer');
      const missing = await t.http.get('/oauth/callback?code=abc');
      expect(missing.status).toBe(400);
      expect(missing.text).toContain('OAUTH_STATE_INVALID');
      await nothingSaved();
    });

    it('refuses an expired state without exchanging its code', async () => {
      const started = await start().expect(200);
      const back = await oauth.signIn(started.body.authorizeUrl);
      const id = createHash('sha256').update(stateOf(started.body.authorizeUrl)).digest('hex');
      await db.getRepository(OAuthState).update({ id }, { expiresAt: new Date(Date.now() - 1000) });
      const exchanges = await oauth.tokenRequests('authorization_code');
      const res = await t.http.get(`${back.pathname}${back.search}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('OAUTH_STATE_EXPIRED');
      expect(await oauth.tokenRequests('authorization_code')).toBe(exchanges);
      await nothingSaved();
    });

    it('refuses a code whose PKCE verifier does not match the challenge the provider saw', async () => {
      const started = await start().expect(200);
      const url = new URL(started.body.authorizeUrl);
      const otherVerifier = randomBytes(32).toString('base64url');
      url.searchParams.set(
        'code_challenge',
        createHash('sha256').update(otherVerifier).digest('base64url'),
      );
      const back = await oauth.signIn(url.toString());
      const res = await t.http.get(`${back.pathname}${back.search}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('OAUTH_CODE_REJECTED');
      expect(res.text).toContain('code_verifier provided does not match code_challenge');
      await nothingSaved();
    });

    it('refuses a returnTo on another origin before anything starts, and takes its own and the microsite', async () => {
      const states = await db.getRepository(OAuthState).countBy({ programId: q.id });
      for (const returnTo of [
        'https://evil.example/after',
        '//evil.example/after',
        '/\\evil.example/after',
        'javascript:alert(1)',
        'https://notify.acme.test.evil.example/console',
      ]) {
        const res = await start({ returnTo });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('OAUTH_RETURN_TO_NOT_ALLOWED');
      }
      expect(await db.getRepository(OAuthState).countBy({ programId: q.id })).toBe(states);
      await start({ returnTo: 'https://rewards.acme.test/settings/mail' }).expect(200);
      await start({ returnTo: `${PUBLIC_BASE_URL}/console/integrations` }).expect(200);
      await nothingSaved();
    });

    it('says so when the person declines at the provider', async () => {
      const started = await start().expect(200);
      const state = stateOf(started.body.authorizeUrl);
      const res = await t.http.get(
        `/oauth/callback?error=access_denied&error_description=The+user+declined&state=${state}`,
      );
      expect(res.status).toBe(400);
      expect(res.text).toContain('OAUTH_ACCESS_DENIED');
      await nothingSaved();
    });

    it('refuses a state used twice: the second use changes nothing', async () => {
      const started = await start().expect(200);
      const back = await oauth.signIn(started.body.authorizeUrl);
      expect((await t.http.get(`${back.pathname}${back.search}`)).status).toBe(200);
      const before = (await api(q).get('/v1/integrations/smtp').expect(200)).body;
      const grant = await db.getRepository(OAuthGrant).findOneByOrFail({ programId: q.id });
      const replay = await t.http.get(`${back.pathname}${back.search}`);
      expect(replay.status).toBe(400);
      expect(replay.text).toContain('OAUTH_STATE_USED');
      expect((await api(q).get('/v1/integrations/smtp')).body).toEqual(before);
      expect(await db.getRepository(OAuthGrant).findOneByOrFail({ programId: q.id })).toEqual(
        grant,
      );
    });

    it('refuses fields that do not apply, a sender without the integration, and a provider not configured', async () => {
      const other = await t.createProgram({ name: 'Nothing yet' });
      const post = (body: object) =>
        api(other).post('/v1/integrations/oauth/authorize', { email: ANA, ...body });
      const google = await post({ provider: 'google', for: 'integration' });
      expect(google.status).toBe(400);
      expect(google.body.code).toBe('OAUTH_PROVIDER_NOT_CONFIGURED');
      const noSender = await post({ provider: 'microsoft', for: 'sender', senderId: 'ana' });
      expect(noSender.status).toBe(409);
      expect(noSender.body.code).toBe('SMTP_NOT_CONNECTED');
      const smtpForSender = await post({
        provider: 'microsoft',
        for: 'sender',
        senderId: 'ana',
        smtp: smtpServer(),
      });
      expect(smtpForSender.status).toBe(400);
      expect(smtpForSender.body.code).toBe('OAUTH_FIELD_NOT_APPLICABLE');
      const providers = await api(other).get('/v1/integrations/oauth/providers').expect(200);
      expect(providers.body).toEqual({
        items: [{ name: 'microsoft', label: 'Microsoft' }],
        redirectUri: `${PUBLIC_BASE_URL}/oauth/callback`,
      });
    });
  });

  describe('tokens at send time', () => {
    let r: Program;
    const OWNER_R = 'owner-r@acme.test';
    const sentBy = (user: string) => smtp.received.filter((m) => m.envelope.user === user);

    beforeAll(async () => {
      r = await t.createProgram({ name: 'Expiry' });
      await oauth.set({ accessLifetimeS: 3 });
      const { callback } = await connect(r, {
        for: 'integration',
        email: OWNER_R,
        smtp: smtpServer(),
      });
      expect(callback.status).toBe(200);
      // The first token lives three seconds; the ones after it an hour, though the signed token
      // itself lapses after four seconds (what a server goes by).
      await oauth.set({ accessLifetimeS: 3600, jwtLifetimeS: 4 });
      await oauth.resetCounts();
    });
    afterAll(() => oauth.set({ accessLifetimeS: 3600, jwtLifetimeS: null }));

    it('refreshes once across the expiry, for ten messages sent at once', async () => {
      // Past the first token's lifetime.
      await new Promise((resolve) => setTimeout(resolve, 3200));
      const ids = await Promise.all(
        Array.from({ length: 10 }, (_, i) => send(r, `ten-${i}@example.com`).then((m) => m.id)),
      );
      await Promise.all(ids.map(sent));
      expect(await oauth.tokenRequests('refresh_token')).toBe(1);
      expect(sentBy(OWNER_R)).toHaveLength(10);
      // And the next ones keep the new token.
      const more = await Promise.all(
        Array.from({ length: 5 }, (_, i) => send(r, `more-${i}@example.com`).then((m) => m.id)),
      );
      await Promise.all(more.map(sent));
      expect(await oauth.tokenRequests('refresh_token')).toBe(1);
    });

    it('refreshes once and logs in again when the server refuses an expired token', async () => {
      // The signed token lapsed while the service still counts it as valid for an hour.
      await new Promise((resolve) => setTimeout(resolve, 4200));
      await oauth.set({ jwtLifetimeS: null });
      smtp.authAttempts.length = 0;
      const test = await api(r).post('/v1/integrations/smtp/test', { to: 'ops@example.com' });
      expect(test.status).toBe(200);
      expect(await oauth.tokenRequests('refresh_token')).toBe(2);
      expect(smtp.authAttempts.map((a) => [a.method, a.username, a.accepted])).toEqual([
        ['XOAUTH2', OWNER_R, false],
        ['XOAUTH2', OWNER_R, true],
      ]);
    });

    it('refreshes once for processes that ask at once (a claim on the grant row)', async () => {
      const second = await startTestApp({
        dataDir: t.dataDir,
        fresh: false,
        env: {
          SMTP_ALLOW_PRIVATE_HOSTS: 'true',
          PUBLIC_BASE_URL,
          ...oauth.env('microsoft'),
        },
      });
      try {
        await db
          .getRepository(OAuthGrant)
          .update(
            { programId: r.id, owner: 'integration' },
            { accessTokenExpiresAt: new Date(Date.now() - 1000) },
          );
        const before = await oauth.tokenRequests('refresh_token');
        const ask = (app: TestApp) =>
          app.app.get(AccessTokens).login(r.id, 'integration', 'probe').accessToken();
        const tokens = await Promise.all([
          ...Array.from({ length: 5 }, () => ask(t)),
          ...Array.from({ length: 5 }, () => ask(second)),
        ]);
        expect(new Set(tokens).size).toBe(1);
        expect(await oauth.tokenRequests('refresh_token')).toBe(before + 1);
      } finally {
        await second.close();
      }
    });
  });

  describe('a revoked sign-in', () => {
    let s: Program;
    const OWNER_S = 'owner-s@acme.test';
    const messagesOf = () => db.getRepository(Message).findBy({ programId: s.id });

    beforeAll(async () => {
      s = await t.createProgram({ name: 'Revoked', settings: { alertEmail: 'ops@acme.test' } });
      await oauth.set({ accessLifetimeS: 2 });
      const { callback } = await connect(s, {
        for: 'integration',
        email: OWNER_S,
        smtp: smtpServer(),
      });
      expect(callback.status).toBe(200);
      await oauth.set({ accessLifetimeS: 3600 });
      await new Promise((resolve) => setTimeout(resolve, 2200));
      // Revoked at the provider: the next refresh is answered invalid_grant.
      await oauth.revokeAll();
      relay.reset();
    });

    it('keeps 20 messages queued, alerts once, and sends all 20 after reconnecting', async () => {
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) => send(s, `wait-${i}@example.com`).then((m) => m.id)),
      );
      const waiting = await eventually(async () => {
        const rows = (await messagesOf()).filter((m) => ids.includes(m.id));
        return rows.every(
          (m) => m.status === 'queued' && m.errorCode === 'OAUTH_REAUTHORIZATION_REQUIRED',
        )
          ? rows
          : undefined;
      }, 30_000);
      expect(waiting.map((m) => m.attempts)).toEqual(Array(20).fill(0));
      const integration = await api(s).get('/v1/integrations/smtp').expect(200);
      expect(integration.body.status).toBe('reauthorization_required');
      expect(integration.body.lastError.code).toBe('OAUTH_REAUTHORIZATION_REQUIRED');
      expect(integration.body.lastError.message).toMatch(/Reconnect it with Microsoft/);

      // One alert to the alert address, through the built-in sender (the relay).
      const [alert] = await relay.waitForMessages(1, 15_000);
      expect(alert.envelope.rcptTo).toEqual(['ops@acme.test']);
      expect(alert.subject).toContain(`sign in again to send from ${OWNER_S} (Microsoft)`);
      // A while later: still queued, none failed, none sent through another route, one alert.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const later = (await messagesOf()).filter((m) => ids.includes(m.id));
      expect(later.map((m) => m.status)).toEqual(Array(20).fill('queued'));
      expect(relay.received).toHaveLength(1);
      expect(smtp.received.filter((m) => m.envelope.user === OWNER_S)).toHaveLength(0);
      const alerts = (await messagesOf()).filter((m) => m.templateKey === 'program-alert');
      expect(alerts).toHaveLength(1);

      // Reconnected: every one goes out, authenticated as the account.
      const { callback } = await connect(s, {
        for: 'integration',
        email: OWNER_S,
        smtp: smtpServer(),
      });
      expect(callback.status).toBe(200);
      await Promise.all(ids.map(sent));
      expect(smtp.received.filter((m) => m.envelope.user === OWNER_S)).toHaveLength(20);
      expect((await api(s).get('/v1/integrations/smtp')).body.status).toBe('connected');
      expect(relay.received).toHaveLength(1);
    });
  });

  describe('sign-ins of one account that come back at once', () => {
    it('connects both, keeping one account and one grant, for the integration and a sender', async () => {
      const q = await t.createProgram({ name: 'Twice' });
      const together = async (body: object) => {
        const started = [];
        for (let i = 0; i < 2; i++) {
          const res = await api(q).post('/v1/integrations/oauth/authorize', {
            provider: 'microsoft',
            ...body,
          });
          expect(res.status).toBe(200);
          started.push(res);
        }
        const backs = [];
        for (const res of started) backs.push(await oauth.signIn(res.body.authorizeUrl));
        const callbacks = await Promise.all(
          backs.map((b) =>
            t.http.get(`${b.pathname}${b.search}`).set('Accept', 'application/json'),
          ),
        );
        expect(callbacks.map((c) => [c.status, c.body.status])).toEqual([
          [200, 'connected'],
          [200, 'connected'],
        ]);
      };
      await together({ for: 'integration', email: OWNER, smtp: smtpServer() });
      await together({ for: 'sender', senderId: 'ana', email: ANA });
      const grants = await db.getRepository(OAuthGrant).findBy({ programId: q.id });
      expect(grants.map((g) => g.owner).sort()).toEqual(['integration', senderOwner('ana')].sort());
      const integration = await api(q).get('/v1/integrations/smtp').expect(200);
      expect(integration.body).toMatchObject({ status: 'connected', username: OWNER });
      const sender = await api(q).get('/v1/integrations/smtp/senders/ana').expect(200);
      expect(sender.body).toMatchObject({ status: 'connected', email: ANA });
    });
  });
});
