import { createServer } from 'node:net';
import { createTransport } from 'nodemailer';
import { DataSource } from 'typeorm';
import { InboundMessage } from '../src/inbound/inbound-message.entity';
import { Message } from '../src/messages/message.entity';
import { NotifyParticipant } from '../src/notifications/notify-participant';
import { ProgramEvent } from '../src/events/event.entity';
import { ProgramsService } from '../src/programs/programs.service';
import { sampleEmailData } from '../src/templates/renderer';
import { arf, dsn } from './support/inbound-reports';
import { SmtpTestServer } from './support/smtp-test-server';
import { bearer, eventually, startTestApp, type TestApp } from './support/test-app';

const INBOUND_DOMAIN = 'in.acme.test';

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

describe('Hearing back (e2e): the inbound listener, bounces, complaints and replies', () => {
  let t: TestApp;
  let sink: SmtpTestServer;
  let port: number;
  let p: { id: string; secretKey: string };
  const db = () => t.app.get(DataSource);

  const toListener = (envelope: { from: string; to: string[] }, raw: string | Buffer) =>
    createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
      envelope,
      raw,
    });

  const send = async (to: string, key: string) => {
    const program = (await t.app.get(ProgramsService).findById(p.id))!;
    const { id } = await t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: to },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: key,
    });
    return eventually(async () => {
      const m = await db().getRepository(Message).findOneByOrFail({ id });
      return m.status === 'sent' ? m : undefined;
    });
  };
  const inboundRows = () => db().getRepository(InboundMessage).findBy({});
  const processed = (n: number) =>
    eventually(async () => {
      const rows = await inboundRows();
      return rows.length >= n && rows.every((r) => r.status !== 'received') ? rows : undefined;
    });
  const detail = async (id: string) =>
    (await t.http.get(`/v1/messages/${id}`).set(bearer(p.secretKey)).expect(200)).body;

  beforeAll(async () => {
    sink = await SmtpTestServer.start();
    port = await freePort();
    t = await startTestApp({
      env: {
        BUILTIN_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        INBOUND_SMTP_PORT: String(port),
        INBOUND_DOMAIN,
        INBOUND_MAX_BYTES: String(64 * 1024),
        INBOUND_MESSAGES_PER_MINUTE: '25',
      },
    });
    p = await t.createProgram({ name: 'Hearing' });
  });
  afterAll(async () => {
    await t.close();
    await sink.stop();
  });

  it('gives each message of the built-in sender its own return path, and says Auto-Submitted', async () => {
    const m = await send('first@example.org', 'first');
    const [mail] = sink.received.filter((r) => r.envelope.rcptTo.includes('first@example.org'));
    expect(mail.envelope.mailFrom).toBe(`b-${m.returnPathTag}@${INBOUND_DOMAIN}`);
    expect(m.returnPathTag).toMatch(/^[a-z2-7]{20}$/);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    // The From header stays the sender's.
    expect(mail.from?.value[0].address).not.toContain(INBOUND_DOMAIN);
  });

  it('marks a message bounced from a DSN to its return path, suppresses the address once, and keeps a second copy from changing anything', async () => {
    const m = await send('ghost@example.org', 'ghost');
    const returnPath = `b-${m.returnPathTag}@${INBOUND_DOMAIN}`;
    const report = dsn(returnPath, 'ghost@example.org', '5.1.1', {
      id: m.id,
      messageId: m.messageId!,
    });
    await toListener({ from: '', to: [returnPath] }, report);
    await processed(1);
    const bounced = await detail(m.id);
    expect(bounced.status).toBe('bounced');
    expect(bounced.events.filter((e: { type: string }) => e.type === 'bounced')).toEqual([
      expect.objectContaining({
        status: '5.1.1',
        diagnostic: expect.stringContaining('User unknown'),
        detail: 'hard',
      }),
    ]);
    // The same report again: nothing more.
    await toListener({ from: '', to: [returnPath] }, report);
    await processed(2);
    expect(
      (await detail(m.id)).events.filter((e: { type: string }) => e.type === 'bounced'),
    ).toHaveLength(1);
    // The next message to the address is not sent.
    const program = (await t.app.get(ProgramsService).findById(p.id))!;
    const next = await t.app.get(NotifyParticipant).execute(undefined, {
      program,
      to: { address: 'Ghost@example.org' },
      template: 'generic',
      locales: ['en'],
      data: sampleEmailData('generic', 'en'),
      dedupeKey: 'ghost-again',
    });
    expect(next.status).toBe('suppressed');
  });

  it('records a delay and a full mailbox without suppressing the address', async () => {
    const m = await send('full@example.org', 'full');
    const returnPath = `b-${m.returnPathTag}@${INBOUND_DOMAIN}`;
    const before = (await inboundRows()).length;
    await toListener(
      { from: '', to: [returnPath] },
      dsn(
        returnPath,
        'full@example.org',
        '4.2.2',
        { id: m.id, messageId: m.messageId! },
        '452 4.2.2 Mailbox full',
      ),
    );
    await processed(before + 1);
    const after = await detail(m.id);
    expect(after.status).toBe('sent');
    expect(after.events.map((e: { type: string }) => e.type)).toContain('deferred');
    const again = await send('full@example.org', 'full-again');
    expect(again.status).toBe('sent');

    // The server gives up on the full mailbox: the message bounced (soft), the address stays.
    const before2 = (await inboundRows()).length;
    await toListener(
      { from: '', to: [`b-${again.returnPathTag}@${INBOUND_DOMAIN}`] },
      dsn(
        `b-${again.returnPathTag}@${INBOUND_DOMAIN}`,
        'full@example.org',
        '5.2.2',
        { id: again.id, messageId: again.messageId! },
        '552 5.2.2 Mailbox full',
      ),
    );
    await processed(before2 + 1);
    const gaveUp = await detail(again.id);
    expect(gaveUp.status).toBe('bounced');
    expect(gaveUp.events).toContainEqual(
      expect.objectContaining({ type: 'bounced', status: '5.2.2' }),
    );
    const third = await send('full@example.org', 'full-third');
    expect(third.status).toBe('sent');
  });

  it('marks a message complained from an ARF report', async () => {
    const m = await send('grumpy@example.org', 'grumpy');
    const returnPath = `b-${m.returnPathTag}@${INBOUND_DOMAIN}`;
    const before = (await inboundRows()).length;
    await toListener(
      { from: 'fbl@isp.example', to: [returnPath] },
      arf(returnPath, 'grumpy@example.org', { id: m.id, messageId: m.messageId! }),
    );
    await processed(before + 1);
    const c = await detail(m.id);
    expect(c.status).toBe('complained');
    expect(c.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'complained', detail: 'abuse' })]),
    );
  });

  it('keeps a report to an unknown tag, unmatched', async () => {
    const before = (await inboundRows()).length;
    const stranger = `b-${'a'.repeat(20)}@${INBOUND_DOMAIN}`;
    await toListener(
      { from: '', to: [stranger] },
      dsn(stranger, 'nobody@example.org', '5.1.1', {
        id: '00000000-0000-4000-8000-000000000000',
        messageId: '<nothing@example.org>',
      }),
    );
    const rows = await processed(before + 1);
    const kept = rows.find((r) => r.envelopeTo === stranger)!;
    expect(kept).toMatchObject({ status: 'processed', kind: 'dsn', messageId: null });
  });

  it('turns a reply to the forwarding address into a participant, an inbound message threaded to the original, and an email.received event', async () => {
    await t.http
      .post('/v1/rules')
      .set(bearer(p.secretKey))
      .send({
        name: 'Thank whoever writes',
        event: 'email.received',
        actions: [{ type: 'email', template: 'generic', to: 'participant' }],
      })
      .expect(201);
    const original = await send('ana.reply@example.org', 'to-ana');
    const { forwardingAddress } = (
      await t.http.get('/v1/integrations/inbound').set(bearer(p.secretKey)).expect(200)
    ).body;
    expect(forwardingAddress).toMatch(
      new RegExp(`^in-[a-z2-7]{20}@${INBOUND_DOMAIN.replace(/\./g, '\\.')}$`),
    );
    const reply = [
      'From: Ana Souza <ana.reply@example.org>',
      `To: ${forwardingAddress}`,
      'Subject: Re: your referral',
      `In-Reply-To: ${original.messageId}`,
      `References: ${original.messageId}`,
      'Message-ID: <reply-1@example.org>',
      '',
      'Thanks! Who do I talk to about my reward?',
      '',
    ].join('\r\n');
    await toListener({ from: 'ana.reply@example.org', to: [forwardingAddress] }, reply);
    const inbound = await eventually(async () => {
      const list = await t.http
        .get('/v1/messages?direction=inbound')
        .set(bearer(p.secretKey))
        .expect(200);
      return list.body.items.find(
        (i: { subject: string; status: string }) =>
          i.subject === 'Re: your referral' && i.status === 'processed',
      );
    });
    expect(inbound).toMatchObject({
      kind: 'reply',
      from: 'ana.reply@example.org',
      inReplyTo: original.id,
      matched: true,
    });
    const person = await t.http
      .get(`/v1/participants/${inbound.participantId}`)
      .set(bearer(p.secretKey))
      .expect(200);
    expect(person.body).toMatchObject({
      email: 'ana.reply@example.org',
      source: 'inbound',
      firstName: 'Ana',
    });
    const event = await eventually(async () => {
      const rows = await db()
        .getRepository(ProgramEvent)
        .findBy({ programId: p.id, type: 'email.received' });
      return rows.find((e) => e.status === 'processed');
    });
    expect(event.data).toMatchObject({
      subject: 'Re: your referral',
      from: 'ana.reply@example.org',
      answers: 'generic',
      inReplyTo: original.id,
    });
    expect((await detail(original.id)).events.map((e: { type: string }) => e.type)).toContain(
      'replied',
    );
    // The rule answered, once.
    await eventually(
      async () =>
        (await db()
          .getRepository(Message)
          .countBy({ programId: p.id, toEmail: 'ana.reply@example.org' })) === 2,
    );
  });

  it('records an out-of-office reply and fires nothing', async () => {
    const { forwardingAddress } = (
      await t.http.get('/v1/integrations/inbound').set(bearer(p.secretKey))
    ).body;
    const events = await db()
      .getRepository(ProgramEvent)
      .countBy({ programId: p.id, type: 'email.received' });
    const before = (await inboundRows()).length;
    await toListener(
      { from: 'away@example.org', to: [forwardingAddress] },
      [
        'From: Away <away@example.org>',
        `To: ${forwardingAddress}`,
        'Subject: Out of Office: your referral',
        'Auto-Submitted: auto-replied',
        '',
        'I am away until Monday.',
        '',
      ].join('\r\n'),
    );
    const rows = await processed(before + 1);
    expect(rows.find((r) => r.fromAddress === 'away@example.org')).toMatchObject({
      kind: 'auto-reply',
      participantId: null,
    });
    expect(
      await db().getRepository(ProgramEvent).countBy({ programId: p.id, type: 'email.received' }),
    ).toBe(events);
  });
  // Last: the flood spends this client's share of the minute.
  it('refuses recipients it does not serve, mail over the size limit, and a flood from one client, and stays up', async () => {
    await expect(
      toListener({ from: 'a@example.org', to: ['postmaster@example.org'] }, 'Subject: x\r\n\r\nx'),
    ).rejects.toMatchObject({ responseCode: 550 });
    await expect(
      toListener(
        { from: 'a@example.org', to: [`someone@${INBOUND_DOMAIN}`] },
        'Subject: x\r\n\r\nx',
      ),
    ).rejects.toMatchObject({ responseCode: 550 });
    const big = `Subject: big\r\n\r\n${'x'.repeat(70 * 1024)}`;
    const stranger = `b-${'b'.repeat(20)}@${INBOUND_DOMAIN}`;
    await expect(toListener({ from: 'a@example.org', to: [stranger] }, big)).rejects.toMatchObject({
      responseCode: 552,
    });
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 30; i++) {
      codes.push(
        await toListener(
          { from: 'a@example.org', to: [stranger] },
          `Subject: flood ${i}\r\n\r\nx`,
        ).then(
          () => 250,
          (err: { responseCode?: number }) => err.responseCode,
        ),
      );
    }
    expect(codes).toContain(421);
    await t.http.get('/health').expect(200);
  });
});
