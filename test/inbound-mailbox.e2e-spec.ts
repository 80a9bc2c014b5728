import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request, { type Response } from 'supertest';
import { DataSource } from 'typeorm';
import { IntegrationSecrets } from '../src/common/crypto/integration-secrets';
import { InboundMessage } from '../src/inbound/inbound-message.entity';
import { InboundMailbox } from '../src/inbound/mailbox/inbound-mailbox.entity';
import { TAKEN_KEYWORD } from '../src/inbound/mailbox/mailbox-imap';
import { MailboxReader } from '../src/inbound/mailbox/mailbox-reader';
import { ImapTestServer } from './support/imap-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const PW = {
  bounces: 'bounces-Secret-4k2j',
  replies: 'replies-Secret-7h1m',
  verify: 'verify-Secret-9q3w',
  failing: 'failing-Secret-2z8x',
  restart: 'restart-Secret-6v5n',
  shared: 'shared-Secret-1b7c',
  handover: 'handover-Secret-3d9f',
  idle: 'idle-Secret-8g4h',
  contended: 'contended-Secret-5s6t',
  wrong: 'not-the-Password-1',
};
const SECRETS = Object.values(PW);

type Program = { id: string; secretKey: string };

let counter = 0;
const crlf = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n`);

/** A delivery status notification (RFC 3464) as Postfix writes one. */
function dsn(to: string): Buffer {
  const n = ++counter;
  return crlf([
    'From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <dsn-${n}-${Date.now()}@mx.acme.test>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b-dsn"',
    '',
    '--b-dsn',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.acme.test.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<ghost-${n}@example.net>: host mx.example.net said: 550 5.1.1 User unknown`,
    '',
    '--b-dsn',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.acme.test',
    '',
    `Final-Recipient: rfc822; ghost-${n}@example.net`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.net',
    `Diagnostic-Code: smtp; 550 5.1.1 <ghost-${n}@example.net>: User unknown`,
    '',
    '--b-dsn',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Acme Rewards <rewards@acme.test>',
    `To: ghost-${n}@example.net`,
    'Subject: Your reward is waiting',
    `Message-ID: <original-${n}@acme.test>`,
    '',
    '--b-dsn--',
  ]);
}

/** An email a person wrote: not a report. */
function personal(to: string, subject = 'Thanks for the reward'): Buffer {
  const n = ++counter;
  return crlf([
    'From: Ana Lima <ana@example.net>',
    `To: ${to}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <note-${n}-${Date.now()}@example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hi! I got it, thank you. Can I invite my sister too?',
  ]);
}

describe('Inbound mailbox (e2e)', () => {
  let imap: ImapTestServer;
  let dataDir: string;
  // The API process; workers (the readers) are started and stopped by the tests on the same data.
  let api: TestApp;
  let db: DataSource;
  const workers = new Set<TestApp>();
  const bodies: string[] = [];
  const ENV = {
    SMTP_ALLOW_PRIVATE_HOSTS: 'true',
    INBOUND_MAILBOX_POLL_MS: '250',
    INBOUND_MAILBOX_LEASE_MS: '3000',
  };

  const track = (res: Response) => {
    bodies.push(res.text ?? '');
    return res;
  };
  const put = async (p: Program, body: object) =>
    track(
      await api.http.put('/v1/integrations/inbound-mailbox').set(bearer(p.secretKey)).send(body),
    );
  const get = async (p: Program) =>
    track(await api.http.get('/v1/integrations/inbound-mailbox').set(bearer(p.secretKey)));
  const body = (user: keyof typeof PW, extra: Record<string, unknown> = {}) => ({
    host: imap.host,
    port: imap.port,
    security: 'ssl',
    username: `${user}@acme.test`,
    password: PW[user],
    read: 'bounces',
    ...extra,
  });

  const startWorker = async (env: Record<string, string> = {}): Promise<TestApp> => {
    const w = await startTestApp({
      role: 'worker',
      dataDir,
      fresh: false,
      env: { ...ENV, ...env },
    });
    workers.add(w);
    return w;
  };
  const stopWorker = async (w: TestApp) => {
    workers.delete(w);
    await w.close();
  };
  const ownerOf = (w: TestApp) => w.app.get(MailboxReader).owner;

  const append = async (user: string, raw: Buffer, folder = 'INBOX'): Promise<number> => {
    const client = await imap.client(user);
    try {
      const res = await client.append(folder, raw);
      if (!res || !res.uid) throw new Error('append gave no uid');
      return res.uid;
    } finally {
      await client.logout();
    }
  };
  const flagsOf = async (user: string, uid: number, folder = 'INBOX'): Promise<string[]> => {
    const client = await imap.client(user);
    try {
      await client.mailboxOpen(folder, { readOnly: true });
      const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
      if (!message) throw new Error(`no message ${uid} in ${folder}`);
      return [...(message.flags ?? [])];
    } finally {
      await client.logout();
    }
  };
  const removeKeyword = async (user: string, uid: number) => {
    const client = await imap.client(user);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsRemove(String(uid), [TAKEN_KEYWORD], { uid: true });
    } finally {
      await client.logout();
    }
  };

  const mailboxOf = async (p: Program): Promise<InboundMailbox> =>
    db.getRepository(InboundMailbox).findOneByOrFail({ programId: p.id });
  const uidOf = (row: InboundMessage) => Number(row.mailboxUid?.split(':')[1]);
  /** The program's inbound rows, in the order of their UIDs. */
  const inboundOf = async (p: Program): Promise<InboundMessage[]> =>
    (await db.getRepository(InboundMessage).findBy({ programId: p.id })).sort(
      (a, b) => uidOf(a) - uidOf(b),
    );
  /** Waits until the program has `count` inbound rows from its mailbox, then returns them. */
  const taken = (p: Program, count: number, timeoutMs = 20000) =>
    eventually(async () => {
      const rows = await inboundOf(p);
      return rows.length >= count ? rows : undefined;
    }, timeoutMs);
  /** The folder was read to the end at least once after `since`. */
  const readSince = (p: Program, since: Date) =>
    eventually(async () => {
      const m = await mailboxOf(p);
      return m.lastCheckedAt && m.lastCheckedAt > since ? m : undefined;
    });

  beforeAll(async () => {
    imap = await ImapTestServer.start({
      users: {
        'bounces@acme.test': { password: PW.bounces, mailboxes: ['Bounces'] },
        'replies@acme.test': PW.replies,
        'verify@acme.test': { password: PW.verify, mailboxes: ['Bounces', 'Archive'] },
        'failing@acme.test': PW.failing,
        'restart@acme.test': PW.restart,
        'shared@acme.test': PW.shared,
        'handover@acme.test': PW.handover,
        'idle@acme.test': PW.idle,
        'contended@acme.test': PW.contended,
      },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'rn-mailbox-'));
    api = await startTestApp({ role: 'api', dataDir, env: ENV });
    db = api.app.get(DataSource);
  });

  afterAll(async () => {
    for (const w of workers) await w.close();
    await api?.close();
    await imap?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  describe('settings', () => {
    let p: Program;

    beforeAll(async () => {
      p = await api.createProgram({ name: 'Settings' });
    });

    it('logs in and opens the folder before saving, and answers without the password', async () => {
      const res = await put(p, body('verify', { folder: 'Bounces' }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'connected',
        host: imap.host,
        port: imap.port,
        security: 'ssl',
        username: 'verify@acme.test',
        folder: 'Bounces',
        read: 'bounces',
        hasPassword: true,
        lastError: null,
        retryAt: null,
      });
      expect(res.body).not.toHaveProperty('password');
      expect(res.body).not.toHaveProperty('passwordSealed');
      const read = await get(p);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
      // Sealed at rest, bound to the program.
      const row = await mailboxOf(p);
      expect(row.passwordSealed).not.toContain(PW.verify);
      expect(api.app.get(IntegrationSecrets).open(p.id, row.passwordSealed ?? '')).toBe(PW.verify);
    });

    it('reads INBOX when no folder is given', async () => {
      const res = await put(p, body('verify'));
      expect(res.status).toBe(200);
      expect(res.body.folder).toBe('INBOX');
    });

    it('answers 422 IMAP_AUTH_FAILED for a wrong password and keeps what was saved', async () => {
      const before = await get(p);
      const res = await put(p, body('verify', { password: PW.wrong, folder: 'Archive' }));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IMAP_AUTH_FAILED');
      expect(res.body.message).toMatch(/rejected the username or password/);
      expect((await get(p)).body).toEqual(before.body);
    });

    it('answers 422 IMAP_FOLDER_NOT_FOUND for a folder the account does not have', async () => {
      const res = await put(p, body('verify', { folder: 'Nope' }));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IMAP_FOLDER_NOT_FOUND');
      expect(res.body.message).toContain('"Nope"');
      expect((await get(p)).body.folder).toBe('INBOX');
    });

    it('refuses a login in plaintext unless the program allows it', async () => {
      const res = await put(p, body('verify', { security: 'none' }));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IMAP_PLAINTEXT_AUTH_REFUSED');
    });

    it('reuses the stored password only for the same host, port, security and username', async () => {
      const same = await put(p, {
        ...body('verify', { read: 'bounces-and-replies' }),
        password: undefined,
      });
      expect(same.status).toBe(200);
      expect(same.body.read).toBe('bounces-and-replies');
      for (const changed of [
        { port: imap.port + 1 },
        { host: 'localhost' },
        { security: 'tls' },
        { username: 'bounces@acme.test' },
      ]) {
        const res = await put(p, { ...body('verify', changed), password: undefined });
        expect([changed, res.status, res.body.code]).toEqual([
          changed,
          400,
          'MAILBOX_PASSWORD_REQUIRED',
        ]);
      }
      const q = await api.createProgram({ name: 'No password yet' });
      const none = await put(q, { ...body('verify'), password: undefined });
      expect(none.status).toBe(400);
      expect(none.body.code).toBe('MAILBOX_PASSWORD_REQUIRED');
    });

    it('validates every field of the body', async () => {
      const res = await put(p, {
        host: 'imap.example.com\r\nX: y',
        port: 70000,
        security: 'starttls',
        folder: 'INBOX\r\nA1 DELETE INBOX',
        read: 'everything',
        extra: true,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = [...new Set(res.body.details.map((d: { field: string }) => d.field))].sort();
      expect(fields).toEqual(['extra', 'folder', 'host', 'port', 'read', 'security', 'username']);
    });

    it('refuses internal hosts without SMTP_ALLOW_PRIVATE_HOSTS', async () => {
      const guarded = await startTestApp({
        role: 'api',
        dataDir,
        fresh: false,
        env: { ...ENV, SMTP_ALLOW_PRIVATE_HOSTS: undefined },
      });
      try {
        const q = await guarded.createProgram({ name: 'Guarded' });
        for (const host of ['127.0.0.1', 'localhost', '169.254.169.254', '10.0.0.1']) {
          const res = track(
            await guarded.http
              .put('/v1/integrations/inbound-mailbox')
              .set(bearer(q.secretKey))
              .send({ ...body('verify'), host, port: 993 }),
          );
          expect([host, res.status, res.body.code]).toEqual([host, 422, 'IMAP_HOST_NOT_ALLOWED']);
        }
        const read = await guarded.http
          .get('/v1/integrations/inbound-mailbox')
          .set(bearer(q.secretKey));
        expect(read.status).toBe(404);
      } finally {
        await guarded.close();
      }
    });

    it('tests the saved mailbox: logs in, opens the folder and counts its messages', async () => {
      const q = await api.createProgram({ name: 'Counting' });
      const none = track(
        await api.http.post('/v1/integrations/inbound-mailbox/test').set(bearer(q.secretKey)),
      );
      expect(none.status).toBe(404);
      expect(none.body.code).toBe('MAILBOX_NOT_CONNECTED');
      expect((await put(q, body('verify', { folder: 'Archive' }))).status).toBe(200);
      await append('verify@acme.test', personal('verify@acme.test'), 'Archive');
      await append('verify@acme.test', dsn('verify@acme.test'), 'Archive');
      const res = track(
        await api.http.post('/v1/integrations/inbound-mailbox/test').set(bearer(q.secretKey)),
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ folder: 'Archive', messages: 2 });
    });

    it('forgets the mailbox on DELETE', async () => {
      const q = await api.createProgram({ name: 'Removed' });
      expect((await put(q, body('verify'))).status).toBe(200);
      const res = await api.http
        .delete('/v1/integrations/inbound-mailbox')
        .set(bearer(q.secretKey));
      expect(res.status).toBe(204);
      const read = await get(q);
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('MAILBOX_NOT_CONNECTED');
      expect(await db.getRepository(InboundMailbox).countBy({ programId: q.id })).toBe(0);
    });

    it('lists the routes in the OpenAPI document', async () => {
      const doc = await api.http.get('/docs-json').expect(200);
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining([
          '/v1/integrations/inbound-mailbox',
          '/v1/integrations/inbound-mailbox/test',
        ]),
      );
    });

    it('is not read by an API process', () => {
      expect(() => api.app.get(MailboxReader)).toThrow();
    });
  });

  describe('a worker reading it', () => {
    let worker: TestApp;

    beforeAll(async () => {
      worker = await startWorker();
    });
    afterAll(() => stopWorker(worker));

    it('takes in a DSN that arrives, stores it before flagging it, and reads nothing from before', async () => {
      const p = await api.createProgram({ name: 'Bounces' });
      const before = await append('bounces@acme.test', dsn('bounces@acme.test'));
      expect((await put(p, body('bounces'))).status).toBe(200);
      const uid = await append('bounces@acme.test', dsn('bounces@acme.test'));
      const [row] = await taken(p, 1);
      const mailbox = await mailboxOf(p);
      expect(row).toMatchObject({
        source: 'imap',
        programId: p.id,
        mailboxId: mailbox.id,
        mailboxUid: `${mailbox.uidValidity}:${uid}`,
        envelopeFrom: null,
        envelopeTo: 'bounces@acme.test',
      });
      expect(await flagsOf('bounces@acme.test', uid)).toContain(TAKEN_KEYWORD);
      // Read into a bounce by the process-inbound job.
      const processed = await eventually(async () => {
        const r = await db.getRepository(InboundMessage).findOneByOrFail({ id: row.id });
        return r.status === 'processed' ? r : undefined;
      });
      expect(processed.kind).toBe('dsn');
      // What was in the folder before the PUT is not read.
      await readSince(p, new Date());
      expect(await inboundOf(p)).toHaveLength(1);
      expect(await flagsOf('bounces@acme.test', before)).toEqual([]);
      const read = await get(p);
      expect(read.body).toMatchObject({ status: 'connected', reading: true, lastError: null });
      expect(read.body.lastCheckedAt).toEqual(expect.any(String));
      expect(mailbox.leaseOwner).toBe(ownerOf(worker));
    });

    it('leaves an email that is not a report untouched in bounces mode', async () => {
      const p = await api.createProgram({ name: 'Bounces only' });
      expect((await put(p, body('bounces', { folder: 'Bounces' }))).status).toBe(200);
      const note = await append('bounces@acme.test', personal('bounces@acme.test'), 'Bounces');
      const report = await append('bounces@acme.test', dsn('bounces@acme.test'), 'Bounces');
      // Read in UID order: once the later report is in, the note was looked at and passed over.
      const rows = await taken(p, 1);
      expect(rows.map(uidOf)).toEqual([report]);
      await readSince(p, new Date());
      expect(await inboundOf(p)).toHaveLength(1);
      // Not flagged, not even marked read.
      expect(await flagsOf('bounces@acme.test', note, 'Bounces')).toEqual([]);
      expect(await flagsOf('bounces@acme.test', report, 'Bounces')).toEqual([TAKEN_KEYWORD]);
      expect((await mailboxOf(p)).lastUid).toBeGreaterThanOrEqual(report);
    });

    it('takes in every new email in bounces-and-replies mode', async () => {
      const p = await api.createProgram({ name: 'Replies too' });
      expect((await put(p, body('replies', { read: 'bounces-and-replies' }))).status).toBe(200);
      const note = await append('replies@acme.test', personal('replies@acme.test'));
      const report = await append('replies@acme.test', dsn('replies@acme.test'));
      const rows = await taken(p, 2);
      expect(rows.map(uidOf).sort()).toEqual([note, report].sort());
      expect(await flagsOf('replies@acme.test', note)).toEqual([TAKEN_KEYWORD]);
      const kinds = await eventually(async () => {
        const all = await inboundOf(p);
        return all.every((r) => r.status === 'processed') ? all.map((r) => r.kind) : undefined;
      });
      expect(kinds.sort()).toEqual(['dsn', 'reply']);
    });

    it('shows a refused login as failing, with the reason, retries later, and recovers on PUT', async () => {
      const p = await api.createProgram({ name: 'Failing' });
      expect((await put(p, body('failing'))).status).toBe(200);
      await readSince(p, new Date(0));
      // The password changed on the server: here, the stored one changes to a wrong one, and the
      // new version makes the worker log in again.
      const secrets = api.app.get(IntegrationSecrets);
      await db
        .getRepository(InboundMailbox)
        .createQueryBuilder()
        .update()
        .set({ passwordSealed: secrets.seal(p.id, PW.wrong), version: () => '"version" + 1' })
        .where('"programId" = :id', { id: p.id })
        .execute();
      const failing = await eventually(async () => {
        const res = await get(p);
        return res.body.status === 'failing' ? res.body : undefined;
      });
      expect(failing.lastError).toMatchObject({ code: 'IMAP_AUTH_FAILED' });
      expect(failing.lastError.message).toMatch(/rejected the username or password/);
      expect(failing.reading).toBe(false);
      expect(Date.parse(failing.retryAt)).toBeGreaterThan(Date.parse(failing.lastError.at));
      // Tried again, later after each failure (the poll, then twice that, ...). Dovecot slows
      // each login after a refused one from the same address, so this takes a few seconds.
      const again = await eventually(async () => {
        const m = await mailboxOf(p);
        return m.failures >= 2 ? m : undefined;
      });
      const wait = (m: InboundMailbox) => m.retryAt!.getTime() - m.lastErrorAt!.getTime();
      expect(wait(again)).toBeGreaterThanOrEqual(2 * 250 - 50);

      // The console shows it.
      const agent = request.agent(api.app.getHttpServer());
      const form = await agent.get('/console/sign-in');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
      await agent
        .post('/console/sign-in')
        .type('form')
        .send({ _csrf: csrf, secretKey: p.secretKey })
        .expect(303);
      const page = await agent.get('/console/integrations');
      expect(page.status).toBe(200);
      expect(page.text).toContain('id="mailbox"');
      expect(page.text).toContain('Reading the mailbox stopped working');
      expect(page.text).toContain('IMAP_AUTH_FAILED');
      expect(page.text).toContain('failing@acme.test');
      expect(page.text).not.toContain(PW.failing);

      // The right password again: connected, and read at once.
      const fixed = await put(p, { ...body('failing') });
      expect(fixed.body).toMatchObject({ status: 'connected', lastError: null, retryAt: null });
      const uid = await append('failing@acme.test', dsn('failing@acme.test'));
      const rows = await taken(p, 1);
      expect(rows.map(uidOf)).toEqual([uid]);
      expect((await mailboxOf(p)).failures).toBe(0);
    });

    it('starts over with another folder as another mailbox, and stops reading a removed one', async () => {
      const p = await api.createProgram({ name: 'Moved' });
      expect((await put(p, body('bounces'))).status).toBe(200);
      const first = await eventually(async () => {
        const m = await mailboxOf(p);
        return m.leaseOwner ? m : undefined;
      });
      expect((await put(p, body('bounces', { folder: 'Bounces' }))).status).toBe(200);
      const second = await mailboxOf(p);
      expect(second.id).not.toBe(first.id);
      await eventually(async () => (await mailboxOf(p)).leaseOwner === ownerOf(worker));
      const reader = worker.app.get(MailboxReader);
      await eventually(
        async () => reader.reading.includes(second.id) && !reader.reading.includes(first.id),
      );
      await api.http
        .delete('/v1/integrations/inbound-mailbox')
        .set(bearer(p.secretKey))
        .expect(204);
      await eventually(async () => !reader.reading.includes(second.id));
    });
  });

  describe('restarts and several workers', () => {
    it('never reads a message twice across a restart, even one stored but not flagged', async () => {
      const p = await api.createProgram({ name: 'Restart' });
      const user = 'restart@acme.test';
      expect((await put(p, body('restart'))).status).toBe(200);
      const first = await startWorker();
      const one = await append(user, dsn(user));
      await taken(p, 1);
      const cursor = await eventually(async () => {
        const m = await mailboxOf(p);
        return m.lastUid === one ? m : undefined;
      });
      await stopWorker(first);
      // Let go on shutdown.
      const released = await mailboxOf(p);
      expect(released.leaseOwner).toBeNull();
      expect(released.leaseUntil).toBeNull();

      // As if the worker had died between storing `one` and flagging it: the keyword is gone
      // and the cursor is back before it.
      await removeKeyword(user, one);
      await db.getRepository(InboundMailbox).update({ id: cursor.id }, { lastUid: one - 1 });
      const two = await append(user, dsn(user));
      const three = await append(user, personal(user));

      const second = await startWorker();
      await eventually(async () => (await mailboxOf(p)).lastUid === three);
      await readSince(p, new Date());
      const rows = await inboundOf(p);
      expect(rows.map(uidOf)).toEqual([one, two]);
      expect(await flagsOf(user, one)).toEqual([TAKEN_KEYWORD]);
      expect(await flagsOf(user, two)).toEqual([TAKEN_KEYWORD]);
      expect(await flagsOf(user, three)).toEqual([]);
      await stopWorker(second);
    });

    it('lets two workers never take in the same message, and hands the lease on when its holder stops', async () => {
      const p = await api.createProgram({ name: 'Shared' });
      const user = 'shared@acme.test';
      expect((await put(p, body('shared', { read: 'bounces-and-replies' }))).status).toBe(200);
      const a = await startWorker();
      const b = await startWorker();
      const holderOwner = (
        await eventually(async () => {
          const m = await mailboxOf(p);
          return m.leaseOwner ? m : undefined;
        })
      ).leaseOwner;
      const [holder, other] = ownerOf(a) === holderOwner ? [a, b] : [b, a];
      expect(holderOwner).toBe(ownerOf(holder));

      const uids: number[] = [];
      for (let i = 0; i < 12; i++)
        uids.push(await append(user, i % 3 ? dsn(user) : personal(user)));
      // Stopped while it may be in the middle of them: the other finishes.
      await taken(p, 1);
      await stopWorker(holder);
      for (let i = 0; i < 8; i++) uids.push(await append(user, dsn(user)));
      const rows = await taken(p, uids.length);
      await eventually(async () => (await mailboxOf(p)).leaseOwner === ownerOf(other));

      // One row per message: none stored twice, none missed, each flagged once taken.
      expect(rows.map(uidOf)).toEqual(uids);
      expect(new Set(rows.map((r) => r.mailboxUid)).size).toBe(uids.length);
      for (const uid of uids) expect(await flagsOf(user, uid)).toEqual([TAKEN_KEYWORD]);
      await stopWorker(other);
    });

    it('stores each message once even when the lease is taken over while its holder still reads', async () => {
      const p = await api.createProgram({ name: 'Contended' });
      const user = 'contended@acme.test';
      expect((await put(p, body('contended', { read: 'bounces-and-replies' }))).status).toBe(200);
      const a = await startWorker();
      const b = await startWorker();
      const owners = new Set<string>();
      const uids: number[] = [];
      for (let i = 0; i < 24; i++) {
        uids.push(await append(user, i % 2 ? dsn(user) : personal(user)));
        if (i % 4 === 3) {
          // As if the holder had stalled past its lease: the other worker may take the mailbox
          // while the holder, still alive, goes on until its next renewal fails.
          const m = await mailboxOf(p);
          if (m.leaseOwner) owners.add(m.leaseOwner);
          await db
            .getRepository(InboundMailbox)
            .update({ id: m.id }, { leaseUntil: new Date(Date.now() - 1000) });
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      const rows = await taken(p, uids.length, 30000);
      await readSince(p, new Date());
      expect((await inboundOf(p)).map(uidOf)).toEqual(uids);
      expect(new Set(rows.map((r) => r.mailboxUid)).size).toBe(uids.length);
      for (const uid of uids) expect(await flagsOf(user, uid)).toEqual([TAKEN_KEYWORD]);
      // The lease went back and forth between the two.
      expect(owners.size).toBe(2);
      expect([...owners].sort()).toEqual([ownerOf(a), ownerOf(b)].sort());
      await stopWorker(a);
      await stopWorker(b);
    });

    it('waits for a lease that has not run out, then takes it over from a worker that died', async () => {
      const p = await api.createProgram({ name: 'Handover' });
      const user = 'handover@acme.test';
      expect((await put(p, body('handover'))).status).toBe(200);
      // A worker that died holding the lease, which runs out in 2 s.
      const mailbox = await mailboxOf(p);
      const until = new Date(Date.now() + 2000);
      await db
        .getRepository(InboundMailbox)
        .update({ id: mailbox.id }, { leaseOwner: 'dead-worker:1:0', leaseUntil: until });
      const w = await startWorker();
      const uid = await append(user, dsn(user));
      await new Promise((r) => setTimeout(r, 1000));
      expect(await inboundOf(p)).toHaveLength(0);
      expect((await get(p)).body.reading).toBe(true);
      const rows = await taken(p, 1);
      expect(Date.now()).toBeGreaterThanOrEqual(until.getTime());
      expect(rows.map(uidOf)).toEqual([uid]);
      expect((await mailboxOf(p)).leaseOwner).toBe(ownerOf(w));
      await stopWorker(w);
    });
  });

  describe('waiting in IDLE', () => {
    it('takes in new mail as it arrives, long before the poll', async () => {
      const p = await api.createProgram({ name: 'Idle' });
      const user = 'idle@acme.test';
      expect((await put(p, body('idle'))).status).toBe(200);
      // Polls once a minute: what arrives sooner comes through IDLE.
      const w = await startWorker({ INBOUND_MAILBOX_POLL_MS: '60000' });
      await readSince(p, new Date(0));
      const sent = Date.now();
      const uid = await append(user, dsn(user));
      const rows = await taken(p, 1, 15000);
      expect(rows.map(uidOf)).toEqual([uid]);
      expect(Date.now() - sent).toBeLessThan(15000);
      await stopWorker(w);
    });
  });

  it('never puts a password in any response', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const text of bodies) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
