import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuthTestServer, xoauth2Check } from '../../support/oauth-test-server';
import { SmtpTestServer, type ReceivedMail } from '../../support/smtp-test-server';
import { Api, type ProgramKeys } from '../support/api';
import { Cluster } from '../support/app-process';
import { statusLine } from '../support/db';
import { waitFor } from '../support/run';
import { SMTP_USER, type Suite } from '../support/suite';

// Shown once, on purpose, in the answer that creates them.
const KEY_KINDS = new Set(['secret key', 'publishable key', 'webhook secret']);
const OAUTH_USER = 'owner@oauth.test';

/**
 * The forms a secret could take on the way to a log line: as is, URL-encoded, base64, AUTH PLAIN,
 * and an access token's SASL XOAUTH2 form.
 */
function formsOf(kind: string, value: string, login?: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  if (/password/i.test(kind))
    for (const user of new Set([SMTP_USER, login ?? SMTP_USER]))
      forms.add(Buffer.from(`\0${user}\0${value}`).toString('base64'));
  if (/access token/i.test(kind))
    forms.add(
      Buffer.from(`user=${login ?? OAUTH_USER}\x01auth=Bearer ${value}\x01\x01`).toString('base64'),
    );
  return [...forms].filter((f) => f.length >= 8);
}

/** Case 8: no secret in any log line of the run or any response body the suite saw. */
export function secrets(suite: Suite): void {
  const password = `smtp-pw-${randomBytes(9).toString('hex')}`;
  const wrongPassword = `wrong-pw-${randomBytes(9).toString('hex')}`;
  const senderPassword = `sender-pw-${randomBytes(9).toString('hex')}`;
  const newPassword = `New-participant-pw-${randomBytes(6).toString('hex')}`;
  // APP_SECRET is rotated halfway: what was sealed under the run's secret opens through
  // APP_SECRET_PREVIOUS, and neither value may show anywhere.
  const rotatedSecret = randomBytes(32).toString('hex');
  let cluster: Cluster;
  let sink: SmtpTestServer;
  let oauth: OAuthTestServer;
  let oauthSink: SmtpTestServer;
  let api: Api;
  let program: ProgramKeys;

  beforeAll(async () => {
    sink = await SmtpTestServer.start({
      users: { [SMTP_USER]: password, 'ana@acme.test': senderPassword },
    });
    // Sign-in with Microsoft against a local authorization server; a mail server that takes only
    // XOAUTH2 and checks each token against that server's keys.
    oauth = await OAuthTestServer.start();
    oauthSink = await SmtpTestServer.start({
      authMethods: ['XOAUTH2'],
      authRequired: true,
      onAuth: xoauth2Check(oauth),
    });
    cluster = await Cluster.start(suite.run, {
      name: 'secrets',
      workers: 1,
      env: oauth.env('microsoft'),
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    program = await api.createProgram('Secrets');
  });
  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([sink?.stop(), oauthSink?.stop(), oauth?.stop()]);
  });

  const tokenIn = (mail: ReceivedMail) => {
    const match = /[?&]token=([^&\s"'<>]+)/.exec(mail.text ?? '');
    if (!match) throw new Error(`no link with a token in: ${mail.text}`);
    return decodeURIComponent(match[1]);
  };

  it('uses every kind of secret: SMTP logins right and wrong, one-time tokens, a new password, rotated keys', async () => {
    const sk = program.secretKey;
    for (const [kind, value] of [
      ['SMTP password', password],
      ['SMTP password (wrong)', wrongPassword],
      ['sender password', senderPassword],
      ['participant password', newPassword],
    ]) {
      suite.run.secrets.add(kind, value);
    }
    // Ana logs in with her own address: her password's AUTH PLAIN form carries it.
    suite.run.secrets.add('sender password', senderPassword, 'ana@acme.test');
    const wrong = await api.put('/v1/integrations/smtp', sk, {
      host: '127.0.0.1',
      port: sink.port,
      security: 'tls',
      username: SMTP_USER,
      password: wrongPassword,
      fromAddress: 'rewards@acme.test',
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('SMTP_AUTH_FAILED');
    await api.connectSmtp(program, sink.port, password);
    expect(
      (await api.post('/v1/integrations/smtp/test', sk, { to: 'ops@example.com' })).status,
    ).toBe(200);
    expect(
      (
        await api.put('/v1/integrations/smtp/senders/ana', sk, {
          email: 'ana@acme.test',
          password: `x${senderPassword}`,
          saveToSent: 'off',
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await api.put('/v1/integrations/smtp/senders/ana', sk, {
          email: 'ana@acme.test',
          password: senderPassword,
          saveToSent: 'off',
        })
      ).status,
    ).toBe(201);
    expect(
      (await api.post('/v1/integrations/smtp/senders/ana/test', sk, { to: 'ops@example.com' }))
        .status,
    ).toBe(200);

    // Every process restarted with a new APP_SECRET and the old one in APP_SECRET_PREVIOUS: the
    // passwords sealed under the old one still open, and everything below runs on the new one.
    suite.run.secrets.add('APP_SECRET (rotated in)', rotatedSecret);
    suite.run.secrets.add('APP_SECRET_PREVIOUS', suite.run.appSecret);
    await cluster.stop();
    cluster = await Cluster.start(suite.run, {
      name: 'secrets-rotated',
      workers: 1,
      env: {
        APP_SECRET: rotatedSecret,
        APP_SECRET_PREVIOUS: suite.run.appSecret,
        ...oauth.env('microsoft'),
      },
    });
    api = new Api(cluster.api.baseUrl, suite.run);
    expect(
      (await api.post('/v1/integrations/smtp/test', sk, { to: 'ops@example.com' })).status,
    ).toBe(200);
    expect(
      (await api.post('/v1/integrations/smtp/senders/ana/test', sk, { to: 'ops@example.com' }))
        .status,
    ).toBe(200);
    expect(
      (await api.put('/v1/participants/sp-1', sk, { email: 'sp1@example.com', firstName: 'Sol' }))
        .status,
    ).toBe(201);

    const pk = program.publishableKey;
    const mailTo = (subject: RegExp) =>
      waitFor(
        `an email matching ${subject}`,
        async () =>
          sink.received.find(
            (m) =>
              m.to &&
              JSON.stringify(m.to).includes('sp1@example.com') &&
              subject.test(m.subject ?? ''),
          ),
        30_000,
      );
    expect(
      (await api.post('/v1/public/verification', pk, { email: 'sp1@example.com' })).status,
    ).toBe(202);
    const verifyToken = tokenIn(await mailTo(/confirm|verif/i));
    suite.run.secrets.add('verification token', verifyToken);
    expect(
      (await api.post('/v1/public/verification/confirm', pk, { token: verifyToken })).status,
    ).toBe(200);
    expect(
      (await api.post('/v1/public/verification/confirm', pk, { token: verifyToken })).body.code,
    ).toBe('TOKEN_INVALID');

    expect(
      (await api.post('/v1/public/password-reset', pk, { email: 'sp1@example.com' })).status,
    ).toBe(202);
    const resetToken = tokenIn(await mailTo(/password/i));
    suite.run.secrets.add('reset token', resetToken);
    expect(
      (
        await api.post('/v1/public/password-reset/confirm', pk, {
          token: resetToken,
          password: newPassword,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api.post('/v1/public/sessions', pk, {
          email: 'sp1@example.com',
          password: newPassword,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api.post('/v1/public/sessions', pk, {
          email: 'sp1@example.com',
          password: `${newPassword}x`,
        })
      ).status,
    ).toBe(401);

    // The message log of those emails, read back through the API.
    const list = await api.get('/v1/messages?limit=50', sk);
    for (const item of list.body.items as Array<{ id: string }>) {
      await api.get(`/v1/messages/${item.id}`, sk);
      await api.call('GET', `/v1/messages/${item.id}/raw`, { key: sk });
    }
    await api.get('/v1/integrations/smtp', sk);
    await api.get('/v1/integrations/smtp/senders/ana', sk);

    const rotated = await api.call('POST', '/v1/program/keys/rotate', {
      key: sk,
      body: { kind: 'secret' },
      showsKeys: true,
    });
    expect(rotated.status).toBe(200);
    suite.run.secrets.add('secret key', rotated.body.key);
    expect((await api.get('/v1/program', sk)).status).toBe(401);
    expect((await api.get('/v1/program', rotated.body.key)).status).toBe(200);
  });

  it('signs in with OAuth: a code exchanged, tokens refreshed, a sign-in revoked, and none of them stored in clear', async () => {
    const oauthProgram = await api.createProgram('Secrets OAuth');
    const sk = oauthProgram.secretKey;
    const smtp = { host: 'localhost', port: oauthSink.port, security: 'tls' };
    const connect = async () => {
      const started = await api.post('/v1/integrations/oauth/authorize', sk, {
        provider: 'microsoft',
        for: 'integration',
        email: OAUTH_USER,
        smtp,
      });
      expect(started.status).toBe(200);
      const back = await oauth.signIn(started.body.authorizeUrl);
      suite.run.secrets.add('OAuth authorization code', back.searchParams.get('code'));
      expect((await api.get(`${back.pathname}${back.search}`)).status).toBe(200);
      return back;
    };
    // The first access token lapses at once: the test send after it refreshes.
    await oauth.set({ accessLifetimeS: 2 });
    const first = await connect();
    await oauth.set({ accessLifetimeS: 3600 });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(
      (await api.post('/v1/integrations/smtp/test', sk, { to: 'ops@example.com' })).status,
    ).toBe(200);
    expect(await oauth.tokenRequests('refresh_token')).toBeGreaterThanOrEqual(1);
    // The same callback again, and a revoked sign-in: both answered with what to do, no token.
    expect((await api.get(`${first.pathname}${first.search}`)).status).toBe(400);
    await oauth.set({ accessLifetimeS: 2 });
    await connect();
    await oauth.set({ accessLifetimeS: 3600 });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await oauth.revokeAll();
    const revoked = await api.post('/v1/integrations/smtp/test', sk, { to: 'ops@example.com' });
    expect(revoked.status).toBe(409);
    expect(revoked.body.code).toBe('OAUTH_REAUTHORIZATION_REQUIRED');
    await api.get('/v1/integrations/smtp', sk);
    await connect();
    expect(
      (await api.post('/v1/integrations/smtp/test', sk, { to: 'ops@example.com' })).status,
    ).toBe(200);

    const { issued } = await oauth.stats();
    for (const token of issued.access)
      suite.run.secrets.add('OAuth access token', token, OAUTH_USER);
    for (const token of issued.refresh) suite.run.secrets.add('OAuth refresh token', token);
    // At rest they are sealed: no table holds one in clear.
    const tables = await suite.db.rows<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
    );
    const found: string[] = [];
    for (const { kind, value } of suite.run.secrets
      .entries()
      .filter((e) => e.kind.startsWith('OAuth'))) {
      for (const { table_name: t } of tables) {
        const n = await suite.db.count(
          `SELECT count(*) AS n FROM "${t}" x WHERE strpos(x::text, $1) > 0`,
          [value],
        );
        if (n) found.push(`${kind} in ${n} rows of ${t}`);
      }
    }
    suite.run.report.line(
      '8 secrets (OAuth)',
      `${issued.refresh.length} refresh and ${issued.access.length} access tokens issued by the local authorization server (${await oauth.tokenRequests('refresh_token')} refreshes), looked for in every column of the ${tables.length} tables: ${found.join('; ') || 'none found'}`,
    );
    expect(found).toEqual([]);
    expect(issued.refresh.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps the one-time links out of the database once their emails are sent', async () => {
    // The tokens as they arrived at the SMTP server, in every form a row could hold them.
    const tokens = suite.run.secrets
      .entries()
      .filter((e) => e.kind === 'verification token' || e.kind === 'reset token');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const settled = await waitFor(
      'the emails of the program sent',
      async () => {
        const s = await suite.db.messageStatuses(program.id);
        return !s.queued && !s.sending && s;
      },
      30_000,
    );
    const sensitive = await suite.db.rows<{ status: string; body: boolean; sealed: boolean }>(
      `SELECT status, (html IS NOT NULL OR text IS NOT NULL) AS body, "sealedData" IS NOT NULL AS sealed
         FROM messages WHERE "programId" = $1 AND sensitive`,
      [program.id],
    );
    const tables = await suite.db.rows<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
    );
    const inMessages: string[] = [];
    const elsewhere: string[] = [];
    for (const { kind, value } of tokens) {
      for (const form of formsOf(kind, value)) {
        // Each row as text, every column of it: data, sealed data, bodies, attempt logs.
        const n = await suite.db.count(
          'SELECT count(*) AS n FROM messages m WHERE strpos(m::text, $1) > 0',
          [form],
        );
        if (n) inMessages.push(`${kind} in ${n} rows`);
        for (const { table_name: t } of tables) {
          if (t === 'messages') continue;
          const m = await suite.db.count(
            `SELECT count(*) AS n FROM "${t}" x WHERE strpos(x::text, $1) > 0`,
            [form],
          );
          if (m) elsewhere.push(`${kind} in ${m} rows of ${t}`);
        }
      }
    }
    suite.run.report.line(
      '8 secrets (one-time links)',
      `${tokens.length} link tokens taken from the emails the SMTP server received, looked for (as is, URL-encoded, base64) in every column of the messages table after sending ` +
        `(the program's messages ${statusLine(settled)}; ${sensitive.length} sensitive: ${sensitive.filter((r) => r.body).length} with a stored body, ${sensitive.filter((r) => r.sealed).length} with sealed data) ` +
        `and in the ${tables.length - 1} other tables: ${[...inMessages, ...elsewhere].join('; ') || 'none found'}`,
    );
    expect(inMessages).toEqual([]);
    expect(elsewhere).toEqual([]);
    expect(sensitive.length).toBeGreaterThanOrEqual(2);
  });

  it('finds none of them in any log line of the run or any response body the suite saw', async () => {
    // Stopped first, so that every line is written.
    await cluster.stop();
    const logDir = join(suite.run.dir, 'logs');
    const logs = readdirSync(logDir).map((f) => ({
      name: f,
      text: readFileSync(join(logDir, f), 'utf8'),
    }));
    const entries = suite.run.secrets.entries();
    const found: string[] = [];
    for (const { kind, value, login } of entries) {
      for (const form of formsOf(kind, value, login)) {
        for (const log of logs)
          if (log.text.includes(form)) found.push(`${kind} in log ${log.name}`);
        for (const r of suite.run.responses.items) {
          // A program's keys are shown once, in the answer that creates or rotates them.
          if (KEY_KINDS.has(kind) && r.showsKeys) continue;
          if (r.text.includes(form))
            found.push(`${kind} in the answer to ${r.method} ${r.path} (${r.status})`);
        }
      }
    }
    const kinds = [...new Set(entries.map((e) => e.kind))];
    const lines = logs.reduce((n, l) => n + l.text.split('\n').length, 0);
    suite.run.report.line(
      '8 secrets',
      `${entries.length} secrets (${kinds.map((k) => `${k} ×${entries.filter((e) => e.kind === k).length}`).join(', ')}), each as is, URL-encoded, base64 and in AUTH PLAIN form, ` +
        `looked for in ${lines} log lines of ${logs.length} processes and ${suite.run.responses.items.length} response bodies: ${found.length ? found.join('; ') : 'none found'}`,
    );
    expect(found).toEqual([]);
    expect(lines).toBeGreaterThan(1000);
  });
}
