import type { DNSResolver } from 'mailauth';
import { arf } from './support/inbound-reports';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { promises as dns } from 'node:dns';
import { createServer } from 'node:net';
import { createTransport } from 'nodemailer';
import { DataSource } from 'typeorm';
import { IntegrationSecrets } from '../src/common/crypto/integration-secrets';
import { ConsentService } from '../src/consent/consent.service';
import { DeliveryService } from '../src/delivery/delivery.service';
import { ProgramEvent } from '../src/events/event.entity';
import { Message } from '../src/messages/message.entity';
import { OutboxService } from '../src/messages/outbox.service';
import { DnsTestServer } from './support/dns-test-server';
import { SmtpTestServer, type ReceivedMail } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const INBOUND_DOMAIN = 'in.consent.test';
const PUBLIC_BASE_URL = 'https://notify.consent.test';
const FROM_DOMAIN = 'news.acme.test';

type Program = { id: string; secretKey: string; publishableKey: string };

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

/** A header field as it came over the wire, unfolded (mailparser turns List-* into objects). */
const rawHeader = (mail: ReceivedMail, name: string): string | undefined => {
  const head = mail.raw
    .toString('latin1')
    .split('\r\n\r\n')[0]
    .replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
};

/** The targets of a List-Unsubscribe header, without their angle brackets. */
const targetsOf = (mail: ReceivedMail): string[] =>
  (rawHeader(mail, 'List-Unsubscribe') ?? '').split(',').map((t) => t.trim().replace(/^<|>$/g, ''));

const tokenOf = (mail: ReceivedMail): string => {
  const url = targetsOf(mail).find((t) => t.startsWith(PUBLIC_BASE_URL))!;
  return url.slice(`${PUBLIC_BASE_URL}/p/unsubscribe/`.length);
};

/** The header names a DKIM-Signature's h= lists, in order. */
const signedNames = (raw: Buffer): string[] => {
  const field = /^DKIM-Signature:(.*(?:\r\n[ \t].*)*)/im.exec(raw.toString())?.[1] ?? '';
  const h = /\bh=([^;]*)/.exec(field.replace(/\r\n[ \t]/g, ''))?.[1] ?? '';
  return h.split(':').map((n) => n.trim().toLowerCase());
};

describe('Consent (e2e): categories, one-click and mailto unsubscribe, preferences, headers', () => {
  let t: TestApp;
  let sink: SmtpTestServer;
  let dnsServer: DnsTestServer;
  let resolver: DNSResolver;
  let inboundPort: number;
  let a: Program;
  let b: Program;
  const db = () => t.app.get(DataSource);

  const put = (p: Program, path: string, body: unknown) =>
    t.http
      .put(path)
      .set(bearer(p.secretKey))
      .send(body as object);
  const get = (p: Program, path: string) => t.http.get(path).set(bearer(p.secretKey));
  const preferences = async (p: Program, id: string) =>
    (await get(p, `/v1/participants/${id}/preferences`).expect(200)).body.categories as Array<{
      category: string;
      subscribed: boolean;
      source?: string;
      changedAt?: string;
    }>;
  const stateOf = async (p: Program, id: string) =>
    Object.fromEntries((await preferences(p, id)).map((c) => [c.category, c.subscribed]));
  const oneClick = (token: string) =>
    t.http
      .post(`/p/unsubscribe/${token}`)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .redirects(0);

  let seq = 0;
  /** Sends `type` for the participant through the rules and waits for its message's outcome. */
  const event = async (p: Program, type: string, person: { id: string; email: string }) => {
    const key = `e-${++seq}`;
    const res = await t.http
      .post('/v1/events')
      .set(bearer(p.secretKey))
      .send({ type, participant: person, idempotencyKey: key })
      .expect(202);
    const eventId = res.body.id as string;
    return eventually(async () => {
      const ev = await db().getRepository(ProgramEvent).findOneBy({ id: eventId });
      const ids = (ev?.results ?? []).flatMap((r) =>
        r.actions.flatMap((x) => (x.messageId ? [x.messageId] : [])),
      );
      if (ids.length === 0) return undefined;
      const m = await db().getRepository(Message).findOneBy({ id: ids[0] });
      return m && ['sent', 'suppressed', 'failed'].includes(m.status) ? m : undefined;
    });
  };
  const arrived = (subject: string, to: string) =>
    eventually(async () =>
      sink.received.find((m) => m.subject === subject && m.envelope.rcptTo.includes(to)),
    );
  const toListener = (envelope: { from: string; to: string[] }, raw: string) =>
    createTransport({
      host: '127.0.0.1',
      port: inboundPort,
      secure: false,
      ignoreTLS: true,
    }).sendMail({ envelope, raw });

  const ana = { id: 'ana', email: 'ana@example.org' };

  beforeAll(async () => {
    [sink, dnsServer, inboundPort] = await Promise.all([
      SmtpTestServer.start(),
      DnsTestServer.start(),
      freePort(),
    ]);
    const lookup = new dns.Resolver({ timeout: 500, tries: 1 });
    lookup.setServers([dnsServer.address]);
    resolver = (name, rrtype) => lookup.resolve(name, rrtype) as Promise<string[][] | string[]>;
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        BUILTIN_FROM_ADDRESS: 'notifications@platform.test',
        DNS_SERVERS: dnsServer.address,
        INBOUND_SMTP_PORT: String(inboundPort),
        INBOUND_DOMAIN,
        PUBLIC_BASE_URL,
      },
    });
    a = await t.createProgram({ name: 'Acme' });
    b = await t.createProgram({ name: 'Beta' });

    // A verified From domain: the built-in sender signs with its key.
    await put(a, '/v1/integrations/sender-domain', {
      domain: FROM_DOMAIN,
      fromAddress: `hello@${FROM_DOMAIN}`,
      fromName: 'Acme News',
    }).expect(200);
    const records = (await get(a, '/v1/integrations/sender-domain').expect(200)).body.records;
    dnsServer.publish(
      records.map((r: { type: string; name: string; value: string; strings?: string[] }) => ({
        type: r.type,
        name: r.name,
        content: r.strings ? r.strings.join('') : r.value,
        strings: r.strings,
      })),
    );
    const verified = await t.http
      .post('/v1/integrations/sender-domain/verify')
      .set(bearer(a.secretKey))
      .expect(200);
    expect(verified.body.status).toBe('verified');

    for (const p of [a, b]) {
      for (const key of ['spring-promo', 'goodbye'])
        await put(p, `/v1/templates/${key}/en`, {
          subject: `${key} from {{program.name}}`,
          html: `<p>${key}</p>`,
        }).expect(201);
      await put(p, `/v1/participants/${ana.id}`, { email: ana.email }).expect(201);
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({
          name: 'Promotion',
          event: 'promo',
          actions: [{ type: 'email', template: 'spring-promo', to: 'participant' }],
        })
        .expect(201);
      await t.http
        .post('/v1/rules')
        .set(bearer(p.secretKey))
        .send({
          name: 'Generic news',
          event: 'news',
          actions: [{ type: 'email', template: 'generic', to: 'participant' }],
        })
        .expect(201);
    }
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([sink?.stop(), dnsServer?.stop()]);
  });

  describe('categories', () => {
    it('lists a category for every key, transactional for the system emails a person asked for', async () => {
      const res = await get(a, '/v1/templates').expect(200);
      const byKey = Object.fromEntries(
        res.body.items.map((i: { key: string; category: string }) => [i.key, i.category]),
      );
      expect(byKey).toMatchObject({
        verification: 'transactional',
        'password-reset': 'transactional',
        'password-changed': 'transactional',
        'w9-required': 'transactional',
        'payout-reminder': 'transactional',
        'reward-earned': 'rewards',
        generic: 'marketing',
        'spring-promo': 'marketing',
      });
    });

    it('lets a program give its key a category of its own, and refuses to change a transactional one', async () => {
      const set = await put(a, '/v1/templates/spring-promo/settings', {
        category: 'newsletter',
      }).expect(200);
      expect(set.body).toEqual({
        key: 'spring-promo',
        category: 'newsletter',
        defaultCategory: 'marketing',
        fixed: false,
      });
      expect((await get(a, '/v1/templates/spring-promo/settings').expect(200)).body.category).toBe(
        'newsletter',
      );
      const listed = (await get(a, '/v1/templates').expect(200)).body.items.find(
        (i: { key: string }) => i.key === 'spring-promo',
      );
      expect(listed.category).toBe('newsletter');
      await put(b, '/v1/templates/spring-promo/settings', { category: 'newsletter' }).expect(200);
      await put(a, '/v1/templates/goodbye/settings', { category: 'service' }).expect(200);

      const fixed = await put(a, '/v1/templates/password-reset/settings', {
        category: 'marketing',
      }).expect(422);
      expect(fixed.body.code).toBe('CATEGORY_FIXED');
      const transactional = await put(a, '/v1/templates/goodbye/settings', {
        category: 'transactional',
      }).expect(400);
      expect(transactional.body.code).toBe('CATEGORY_NOT_ALLOWED');
      const invalid = await put(a, '/v1/templates/goodbye/settings', {
        category: 'Not A Category',
      }).expect(400);
      expect(invalid.body.code).toBe('VALIDATION_FAILED');
      const missing = await put(a, '/v1/templates/no-such-key/settings', {
        category: 'x',
      }).expect(404);
      expect(missing.body.code).toBe('TEMPLATE_NOT_FOUND');
      expect((await get(a, '/v1/templates/goodbye/settings').expect(200)).body.category).toBe(
        'service',
      );
    });
  });

  describe('one-click unsubscribe', () => {
    let promo: ReceivedMail;

    it('puts List-Unsubscribe (link and mailto) and List-Unsubscribe-Post on a message of a program key, with Feedback-ID', async () => {
      const m = await event(a, 'promo', ana);
      expect(m.status).toBe('sent');
      expect(m.category).toBe('newsletter');
      promo = await arrived('spring-promo from Acme', ana.email);
      const [link, mailto] = targetsOf(promo);
      expect(link).toMatch(
        new RegExp(`^${PUBLIC_BASE_URL.replace(/\./g, '\\.')}/p/unsubscribe/[A-Za-z0-9._-]+$`),
      );
      expect(mailto).toMatch(
        new RegExp(
          `^mailto:u-[a-z2-7]{36}@${INBOUND_DOMAIN.replace(/\./g, '\\.')}\\?subject=unsubscribe$`,
        ),
      );
      expect(rawHeader(promo, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(rawHeader(promo, 'Feedback-ID')).toBe(
        `spring-promo:newsletter:${a.id}:referral-notify`,
      );
      // Nothing readable: not the program, the participant, nor the category.
      const token = tokenOf(promo);
      for (const plain of [a.id, ana.id, ana.email, 'newsletter'])
        expect(Buffer.from(token.replace(/\./g, ''), 'base64url').toString('latin1')).not.toContain(
          plain,
        );
      expect(token).not.toContain('newsletter');
    });

    it('is covered by the DKIM signature of the verified domain, which over-signs From', async () => {
      const names = signedNames(promo.raw);
      expect(names).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
      expect(names.filter((n) => n === 'from')).toHaveLength(2);
      const verdict = await dkimVerify(promo.raw, { resolver });
      expect(verdict.results.map((r) => ({ d: r.signingDomain, result: r.status.result }))).toEqual(
        [{ d: FROM_DOMAIN, result: 'pass' }],
      );
    });

    it('refuses a POST without List-Unsubscribe=One-Click, and changes nothing', async () => {
      const before = await preferences(a, ana.id);
      const res = await t.http
        .post(`/p/unsubscribe/${tokenOf(promo)}`)
        .type('form')
        .send('confirm=yes')
        .expect(400);
      expect(res.body.code).toBe('ONE_CLICK_REQUIRED');
      expect(await preferences(a, ana.id)).toEqual(before);
    });

    it('refuses a token edited by one character, and changes nothing', async () => {
      const before = await preferences(a, ana.id);
      const token = tokenOf(promo);
      for (const at of [0, 5, Math.floor(token.length / 2), token.length - 1]) {
        const c = token[at];
        const edited = token.slice(0, at) + (c === 'A' ? 'B' : 'A') + token.slice(at + 1);
        const res = await oneClick(edited).expect(400);
        expect(res.body.code).toBe('TOKEN_INVALID');
      }
      expect(await preferences(a, ana.id)).toEqual(before);
    });

    it('refuses a sealed value of another purpose, even one naming the same program, participant and category', async () => {
      const before = await preferences(a, ana.id);
      // What the service seals for a program (passwords, keys) never opens as a token.
      const credential = t.app
        .get(IntegrationSecrets)
        .seal(a.id, JSON.stringify([a.id, ana.id, 'newsletter']));
      expect((await oneClick(credential).expect(400)).body.code).toBe('TOKEN_INVALID');
      expect(await preferences(a, ana.id)).toEqual(before);
    });

    it('answers 200 with no redirect to List-Unsubscribe=One-Click, and records the change', async () => {
      const res = await oneClick(tokenOf(promo)).expect(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toEqual({ status: 'unsubscribed', category: 'newsletter' });
      const newsletter = (await preferences(a, ana.id)).find((c) => c.category === 'newsletter');
      expect(newsletter).toMatchObject({ subscribed: false, source: 'one-click' });
      expect(newsletter!.changedAt).toEqual(expect.any(String));
      // Only that category: the token names one.
      expect(await stateOf(a, ana.id)).toEqual({
        rewards: true,
        marketing: true,
        newsletter: false,
        service: true,
      });
      // A second POST changes nothing more.
      await oneClick(tokenOf(promo)).expect(200);
    });

    it('leaves the same person in another program subscribed', async () => {
      expect(await stateOf(b, ana.id)).toEqual({
        rewards: true,
        marketing: true,
        newsletter: true,
      });
    });

    it('holds back the next message of that category as suppressed UNSUBSCRIBED, never reaching the SMTP server', async () => {
      const held = await event(a, 'promo', ana);
      expect(held).toMatchObject({ status: 'suppressed', errorCode: 'UNSUBSCRIBED' });
      const log = await get(a, `/v1/messages/${held.id}`).expect(200);
      expect(log.body.status).toBe('suppressed');
      expect(log.body.error.code).toBe('UNSUBSCRIBED');
      // A message of another category still goes out; it left after the held one would have.
      const news = await event(a, 'news', ana);
      expect(news.status).toBe('sent');
      const generic = sink.received.filter((m) => m.envelope.rcptTo.includes(ana.email));
      expect(generic.filter((m) => m.subject === 'spring-promo from Acme')).toHaveLength(1);
    });

    it('holds back at delivery a message written before its recipient left the category', async () => {
      // Written (not yet queued), then the person leaves, then delivery runs.
      const { id } = await t.app.get(OutboxService).write(undefined, {
        programId: a.id,
        templateKey: 'goodbye',
        category: 'service',
        recipient: { email: ana.email, participantId: ana.id },
        locales: ['en'],
        data: {},
        dedupeKey: 'written-before-the-click',
      });
      await put(a, `/v1/participants/${ana.id}/preferences`, {
        categories: { service: false },
      }).expect(200);
      const before = sink.received.length;
      expect(await t.app.get(DeliveryService).deliver(id)).toEqual({
        outcome: 'suppressed',
        code: 'UNSUBSCRIBED',
      });
      const held = await db().getRepository(Message).findOneByOrFail({ id });
      expect(held).toMatchObject({ status: 'suppressed', errorCode: 'UNSUBSCRIBED' });
      expect(sink.received.length).toBe(before);
      await put(a, `/v1/participants/${ana.id}/preferences`, {
        categories: { service: true },
      }).expect(200);
    });

    it('still sends a transactional email to the same participant, without an unsubscribe header', async () => {
      await t.http
        .post('/v1/public/password-reset')
        .set(bearer(a.publishableKey))
        .send({ email: ana.email })
        .expect(202);
      const reset = await eventually(async () =>
        sink.received.find(
          (m) =>
            m.envelope.rcptTo.includes(ana.email) &&
            (rawHeader(m, 'Feedback-ID') ?? '').startsWith('password-reset:transactional:'),
        ),
      );
      expect(rawHeader(reset, 'List-Unsubscribe')).toBeUndefined();
      expect(rawHeader(reset, 'List-Unsubscribe-Post')).toBeUndefined();
      expect(rawHeader(reset, 'Feedback-ID')).toBe(
        `password-reset:transactional:${a.id}:referral-notify`,
      );
      // Signed on the verified domain too.
      const verdict = await dkimVerify(reset.raw, { resolver });
      expect(verdict.results.map((r) => r.status.result)).toEqual(['pass']);
    });

    it('takes a multipart one-click too, for another category of the same person', async () => {
      await event(a, 'news', ana);
      const news = await eventually(async () =>
        sink.received
          .filter(
            (m) =>
              m.envelope.rcptTo.includes(ana.email) &&
              (rawHeader(m, 'Feedback-ID') ?? '').startsWith('generic:marketing:'),
          )
          .at(-1),
      );
      const res = await t.http
        .post(`/p/unsubscribe/${tokenOf(news)}`)
        .field('List-Unsubscribe', 'One-Click')
        .expect(200);
      expect(res.body.category).toBe('marketing');
      expect(await stateOf(a, ana.id)).toMatchObject({ marketing: false, newsletter: false });
    });
  });

  describe('preferences API', () => {
    const bob = { id: 'bob', email: 'bob@example.org' };

    beforeAll(async () => {
      await put(a, `/v1/participants/${bob.id}`, { email: bob.email }).expect(201);
    });

    it('lists every category the participant may leave, all subscribed at first', async () => {
      expect(await preferences(a, bob.id)).toEqual([
        { category: 'rewards', subscribed: true },
        { category: 'marketing', subscribed: true },
        { category: 'newsletter', subscribed: true },
        { category: 'service', subscribed: true },
      ]);
    });

    it('changes categories with PUT, source api', async () => {
      const res = await put(a, `/v1/participants/${bob.id}/preferences`, {
        categories: { marketing: false, rewards: true },
      }).expect(200);
      expect(res.body.categories).toEqual(
        expect.arrayContaining([
          {
            category: 'marketing',
            subscribed: false,
            source: 'api',
            changedAt: expect.any(String),
          },
          { category: 'rewards', subscribed: true, source: 'api', changedAt: expect.any(String) },
        ]),
      );
      await put(a, `/v1/participants/${bob.id}/preferences`, {
        categories: { marketing: true },
      }).expect(200);
      expect((await stateOf(a, bob.id)).marketing).toBe(true);
    });

    it('refuses transactional and unknown categories, and an unknown participant, changing nothing', async () => {
      const before = await preferences(a, bob.id);
      const transactional = await put(a, `/v1/participants/${bob.id}/preferences`, {
        categories: { transactional: false, marketing: false },
      }).expect(400);
      expect(transactional.body.code).toBe('CATEGORY_TRANSACTIONAL');
      const unknown = await put(a, `/v1/participants/${bob.id}/preferences`, {
        categories: { marketing: false, 'no-such': false },
      }).expect(400);
      expect(unknown.body.code).toBe('CATEGORY_UNKNOWN');
      const notBoolean = await put(a, `/v1/participants/${bob.id}/preferences`, {
        categories: { marketing: 'no' },
      }).expect(400);
      expect(notBoolean.body.code).toBe('VALIDATION_FAILED');
      expect(await preferences(a, bob.id)).toEqual(before);
      await get(a, '/v1/participants/nobody/preferences').expect(404);
      // Another program's participant is not this one's.
      await put(b, `/v1/participants/${bob.id}/preferences`, {
        categories: { marketing: false },
      }).expect(404);
    });
  });

  describe('participant.unsubscribed', () => {
    it('enters the rules with the category and source', async () => {
      await t.http
        .post('/v1/rules')
        .set(bearer(a.secretKey))
        .send({
          name: 'Say goodbye to newsletter leavers',
          event: 'participant.unsubscribed',
          conditions: {
            all: [{ fact: 'event', path: 'category', operator: 'equal', value: 'newsletter' }],
          },
          actions: [{ type: 'email', template: 'goodbye', to: 'participant' }],
        })
        .expect(201);
      const cleo = { id: 'cleo', email: 'cleo@example.org' };
      await put(a, `/v1/participants/${cleo.id}`, { email: cleo.email }).expect(201);
      await put(a, `/v1/participants/${cleo.id}/preferences`, {
        categories: { newsletter: false },
      }).expect(200);
      const events = await eventually(async () => {
        const rows = await db()
          .getRepository(ProgramEvent)
          .findBy({ programId: a.id, type: 'participant.unsubscribed', participantId: cleo.id });
        return rows.length === 1 && rows[0].status === 'processed' ? rows : undefined;
      });
      expect(events[0].data).toMatchObject({ category: 'newsletter', source: 'api' });
      // The rule's email (category service, which cleo did not leave) goes out.
      const goodbye = await arrived('goodbye from Acme', cleo.email);
      expect(rawHeader(goodbye, 'Feedback-ID')).toBe(`goodbye:service:${a.id}:referral-notify`);
      // Leaving again changes nothing, so no second event.
      await put(a, `/v1/participants/${cleo.id}/preferences`, {
        categories: { newsletter: false },
      }).expect(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(
        await db()
          .getRepository(ProgramEvent)
          .countBy({ programId: a.id, type: 'participant.unsubscribed', participantId: cleo.id }),
      ).toBe(1);
    });
  });

  describe('mailto unsubscribe and complaints', () => {
    const dan = { id: 'dan', email: 'dan@example.org' };

    beforeAll(async () => {
      await put(b, `/v1/participants/${dan.id}`, { email: dan.email }).expect(201);
    });

    it('refuses, at RCPT, an unsubscribe address this service did not sign', async () => {
      const forged = `u-${'a'.repeat(36)}@${INBOUND_DOMAIN}`;
      await expect(
        toListener(
          { from: dan.email, to: [forged] },
          `From: ${dan.email}\r\nTo: ${forged}\r\n\r\nx\r\n`,
        ),
      ).rejects.toMatchObject({ responseCode: 550 });
    });

    it('unsubscribes with source mailto when the person writes to the mailto address over SMTP', async () => {
      await event(b, 'promo', dan);
      const promo = await arrived('spring-promo from Beta', dan.email);
      const mailto = targetsOf(promo).find((x) => x.startsWith('mailto:'))!;
      const address = mailto.slice('mailto:'.length).split('?')[0];
      // Mailbox names come back in any case.
      await toListener(
        { from: dan.email, to: [address.toUpperCase()] },
        [
          `From: Dan <${dan.email}>`,
          `To: ${address}`,
          'Subject: unsubscribe',
          '',
          'unsubscribe',
          '',
        ].join('\r\n'),
      );
      const newsletter = await eventually(async () =>
        (await preferences(b, dan.id)).find((c) => c.category === 'newsletter' && !c.subscribed),
      );
      expect(newsletter.source).toBe('mailto');
      expect(await stateOf(b, dan.id)).toEqual({
        rewards: true,
        marketing: true,
        newsletter: false,
      });
      await eventually(
        async () =>
          (await db().getRepository(ProgramEvent).countBy({
            programId: b.id,
            type: 'participant.unsubscribed',
            participantId: dan.id,
          })) === 1,
      );
      // No reply event: the email was an unsubscribe request.
      expect(
        await db().getRepository(ProgramEvent).countBy({ programId: b.id, type: 'email.received' }),
      ).toBe(0);
    });

    it('records a complaint as leaving the category, source complaint', async () => {
      const m = await event(b, 'news', dan);
      expect(m.status).toBe('sent');
      const returnPath = `b-${m.returnPathTag}@${INBOUND_DOMAIN}`;
      await toListener({ from: '', to: [returnPath] }, arf(returnPath, dan.email, m));
      const marketing = await eventually(async () =>
        (await preferences(b, dan.id)).find((c) => c.category === 'marketing' && !c.subscribed),
      );
      expect(marketing.source).toBe('complaint');
    });
  });

  it('answers readToken with what the link names, and null for anything else', () => {
    const consent = t.app.get(ConsentService);
    const url = consent.unsubscribeUrl(a.id, ana.id, 'rewards');
    const token = url.slice(`${PUBLIC_BASE_URL}/p/unsubscribe/`.length);
    expect(consent.readToken(token)).toEqual({
      programId: a.id,
      participantId: ana.id,
      category: 'rewards',
    });
    expect(consent.readToken(`${token}x`)).toBeNull();
    expect(consent.readToken('')).toBeNull();
    expect(consent.readToken('v1.x.y.z.w')).toBeNull();
  });
});
