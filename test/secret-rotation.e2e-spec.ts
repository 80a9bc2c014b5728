import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { runReseal } from '../src/cli/reseal';
import { SenderDomain } from '../src/sender-domains/sender-domain.entity';
import { SenderIdentity } from '../src/transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../src/transports/accounts/smtp-integration.entity';
import { DnsTestServer } from './support/dns-test-server';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, startTestApp, type TestApp } from './support/test-app';

const SECRET_A = 'rotation-secret-A-0123456789abcdef0123456789';
const SECRET_B = 'rotation-secret-B-fedcba9876543210fedcba9876';
const OWNER = { user: 'owner@acme.test', pass: 'owner-Secret-7k2p' };
const ANA = { user: 'ana@acme.test', pass: 'ana-Secret-3w9z' };

type Program = { id: string; secretKey: string };

describe('APP_SECRET rotation (e2e): previous secrets, re-seal, and the old one removed', () => {
  let dataDir: string;
  let smtp: SmtpTestServer;
  let dns: DnsTestServer;
  let p: Program;
  // The sealed values as the first start wrote them, to tell what the re-seal changed.
  let sealedUnderA: string[];

  const start = (env: Record<string, string | undefined>, fresh = false) =>
    startTestApp({
      dataDir,
      fresh,
      env: {
        SMTP_ALLOW_PRIVATE_HOSTS: 'true',
        DNS_SERVERS: dns.address,
        APP_SECRET_PREVIOUS: undefined,
        ...env,
      },
    });

  // The environment the service runs with, as an operator would give it to the command.
  const commandEnv = (env: Record<string, string | undefined>): NodeJS.ProcessEnv => {
    const out: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    delete out.APP_SECRET_PREVIOUS;
    for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
    return out;
  };

  async function reseal(env: Record<string, string | undefined>) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReseal(commandEnv(env), {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const sealedValues = async (t: TestApp): Promise<string[]> => {
    const db = t.app.get(DataSource);
    const [integration, identity, domain] = await Promise.all([
      db.getRepository(SmtpIntegration).findOneByOrFail({ programId: p.id }),
      db.getRepository(SenderIdentity).findOneByOrFail({ programId: p.id, senderId: 'ana' }),
      db.getRepository(SenderDomain).findOneByOrFail({ programId: p.id }),
    ]);
    return [
      integration.passwordSealed ?? '',
      identity.passwordSealed ?? '',
      domain.privateKeySealed,
    ];
  };

  /** Sends through each stored credential: the integration's and the sender's password, the DKIM key. */
  async function useEveryCredential(t: TestApp) {
    smtp.reset();
    const viaIntegration = await t.http
      .post('/v1/integrations/smtp/test')
      .set(bearer(p.secretKey))
      .send({ to: 'marketer@example.com' });
    const viaSender = await t.http
      .post('/v1/integrations/smtp/senders/ana/test')
      .set(bearer(p.secretKey))
      .send({ to: 'customer@example.com' });
    // Verifying rebuilds the DNS records from the stored private key.
    const domain = await t.http
      .post('/v1/integrations/sender-domain/verify')
      .set(bearer(p.secretKey))
      .send({});
    return { viaIntegration, viaSender, domain };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rn-rotation-'));
    dns = await DnsTestServer.start();
    smtp = await SmtpTestServer.start({
      authRequired: true,
      users: { [OWNER.user]: OWNER.pass, [ANA.user]: ANA.pass },
    });
    // First start, under A: a password, a sender's password and a DKIM key are sealed.
    const t = await start({ APP_SECRET: SECRET_A }, true);
    try {
      p = await t.createProgram({ name: 'Rotating' });
      const put = (path: string, body: object) =>
        t.http.put(path).set(bearer(p.secretKey)).send(body);
      const integration = await put('/v1/integrations/smtp', {
        host: smtp.host,
        port: smtp.port,
        security: 'tls',
        username: OWNER.user,
        password: OWNER.pass,
        fromAddress: 'rewards@acme.test',
      });
      expect(integration.status).toBe(200);
      expect(
        (await put('/v1/integrations/smtp/senders/ana', { email: ANA.user, password: ANA.pass }))
          .status,
      ).toBe(201);
      expect(
        (
          await put('/v1/integrations/sender-domain', {
            domain: 'acme.test',
            fromAddress: 'rewards@acme.test',
          })
        ).status,
      ).toBe(200);
      sealedUnderA = await sealedValues(t);
      const sent = await useEveryCredential(t);
      expect([sent.viaIntegration.status, sent.viaSender.status, sent.domain.status]).toEqual([
        200, 200, 200,
      ]);
    } finally {
      await t.close();
    }
  });

  afterAll(async () => {
    await smtp?.stop();
    await dns?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('with only the new secret and no re-seal, names each stored credential SECRET_KEY_UNKNOWN, as before', async () => {
    const t = await start({ APP_SECRET: SECRET_B });
    try {
      const { viaIntegration, viaSender, domain } = await useEveryCredential(t);
      for (const res of [viaIntegration, viaSender, domain]) {
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('SECRET_KEY_UNKNOWN');
        expect(res.body.message).toMatch(/APP_SECRET_PREVIOUS/);
      }
      expect(smtp.received).toHaveLength(0);
      // Nothing was rewritten: the values still open under A.
      expect(await sealedValues(t)).toEqual(sealedUnderA);
    } finally {
      await t.close();
    }
  });

  it('with the old secret in APP_SECRET_PREVIOUS, sends through the stored passwords; the re-seal then moves them to the new one', async () => {
    const t = await start({ APP_SECRET: SECRET_B, APP_SECRET_PREVIOUS: SECRET_A });
    try {
      const { viaIntegration, viaSender, domain } = await useEveryCredential(t);
      expect([viaIntegration.status, viaSender.status, domain.status]).toEqual([200, 200, 200]);
      expect(smtp.authAttempts).toEqual([
        expect.objectContaining({ username: OWNER.user, accepted: true }),
        expect.objectContaining({ username: ANA.user, accepted: true }),
      ]);
      expect(smtp.received.map((m) => m.envelope.user)).toEqual([OWNER.user, ANA.user]);

      // While the service runs, as the runbook says.
      const first = await reseal({ APP_SECRET: SECRET_B, APP_SECRET_PREVIOUS: SECRET_A });
      expect(first.err).toBe('');
      expect(first.code).toBe(0);
      expect(first.out).toContain(
        'smtp_integrations.passwordSealed: 1 stored, 1 re-sealed, 0 already under APP_SECRET',
      );
      expect(first.out).toContain(
        'sender_identities.passwordSealed: 1 stored, 1 re-sealed, 0 already under APP_SECRET',
      );
      expect(first.out).toContain(
        'sender_domains.privateKeySealed: 1 stored, 1 re-sealed, 0 already under APP_SECRET',
      );
      expect(first.out).toMatch(
        /Done: 3 re-sealed, 0 already under APP_SECRET, 0 could not be opened\./,
      );
      const resealed = await sealedValues(t);
      resealed.forEach((value, i) => expect(value).not.toBe(sealedUnderA[i]));

      // Idempotent: a second run finds everything under the new secret and writes nothing.
      const second = await reseal({ APP_SECRET: SECRET_B, APP_SECRET_PREVIOUS: SECRET_A });
      expect(second.code).toBe(0);
      expect(second.out).toMatch(
        /Done: 0 re-sealed, 3 already under APP_SECRET, 0 could not be opened\./,
      );
      expect(await sealedValues(t)).toEqual(resealed);

      // Counts only: no password, key, secret or sealed value is ever printed.
      for (const text of [first.out, first.err, second.out]) {
        for (const secret of [
          OWNER.pass,
          ANA.pass,
          SECRET_A,
          SECRET_B,
          'PRIVATE KEY',
          ...sealedUnderA,
          ...resealed,
        ]) {
          expect(text).not.toContain(secret);
        }
      }

      // The service still sends after the re-seal, without a restart.
      const after = await useEveryCredential(t);
      expect([after.viaIntegration.status, after.viaSender.status, after.domain.status]).toEqual([
        200, 200, 200,
      ]);
    } finally {
      await t.close();
    }
  });

  it('runs as its own process, and reports values it cannot open without touching them (the next start still opens them)', () => {
    // Under a third secret only, nothing opens: the command says so and fails, changing nothing.
    const root = resolve(__dirname, '..');
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'cli', 'reseal.ts')],
      {
        cwd: root,
        encoding: 'utf8',
        env: commandEnv({ APP_SECRET: 'a-third-secret-nobody-sealed-with-0123456789' }),
      },
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /Done: 0 re-sealed, 0 already under APP_SECRET, 3 could not be opened\./,
    );
    expect(run.stderr).toContain(`smtp_integrations.passwordSealed of row`);
    expect(run.stderr).toMatch(/SECRET_KEY_UNKNOWN/);
    expect(run.stderr).toMatch(/APP_SECRET_PREVIOUS/);
    for (const secret of [OWNER.pass, ANA.pass, SECRET_B]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it('once re-sealed, works with only the new secret', async () => {
    const t = await start({ APP_SECRET: SECRET_B });
    try {
      const { viaIntegration, viaSender, domain } = await useEveryCredential(t);
      expect([viaIntegration.status, viaSender.status, domain.status]).toEqual([200, 200, 200]);
      expect(smtp.authAttempts).toEqual([
        expect.objectContaining({ username: OWNER.user, accepted: true }),
        expect.objectContaining({ username: ANA.user, accepted: true }),
      ]);
      expect(await smtp.waitForMessages(2)).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('refuses a short APP_SECRET_PREVIOUS without printing it', async () => {
    const res = await reseal({
      APP_SECRET: SECRET_B,
      APP_SECRET_PREVIOUS: 'too-short-to-be-a-secret',
    });
    expect(res.code).toBe(78);
    expect(res.err).toMatch(/APP_SECRET_PREVIOUS=\(hidden\)/);
    expect(res.err).not.toContain('too-short-to-be-a-secret');
  });
});
