import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInbound, type InboundReading } from './read-inbound';

const FIXTURES = join(__dirname, '__fixtures__');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const ref = (n: number) => `6f1c2a9e-3b7d-4c5e-9a10-${String(n).padStart(12, '0')}`;

interface FixtureCase {
  file: string;
  kind: InboundReading['kind'];
  recipient?: { address: string; action: string; status: string; class: string };
  originalMessageId: RegExp | null;
  entityRefId: string | null;
  autoReplyReason?: RegExp;
  feedbackType?: string;
}

// Every fixture of __fixtures__ (README.md there says where each came from).
const CASES: FixtureCase[] = [
  {
    file: 'postfix-unknown-user.eml',
    kind: 'dsn',
    recipient: { address: 'ghost@acme.test', action: 'failed', status: '5.1.1', class: 'hard' },
    originalMessageId: /^<unknown-user\.\d+@acme\.test>$/,
    entityRefId: ref(1),
  },
  {
    file: 'postfix-delayed.eml',
    kind: 'dsn',
    recipient: {
      address: 'someone@remote.test',
      action: 'delayed',
      status: '4.4.1',
      class: 'delayed',
    },
    originalMessageId: /^<delayed\.\d+@acme\.test>$/,
    entityRefId: ref(2),
  },
  {
    file: 'postfix-lmtp-quota.eml',
    kind: 'dsn',
    recipient: { address: 'full@acme.test', action: 'failed', status: '5.2.2', class: 'soft' },
    originalMessageId: /^<lmtp-quota\.\d+@acme\.test>$/,
    entityRefId: ref(3),
  },
  {
    file: 'postfix-expired-transient.eml',
    kind: 'dsn',
    recipient: { address: 'someone@remote.test', action: 'failed', status: '4.4.1', class: 'soft' },
    originalMessageId: /^<expired\.\d+@acme\.test>$/,
    entityRefId: ref(8),
  },
  {
    file: 'dovecot-lda-quota.eml',
    kind: 'dsn',
    recipient: { address: 'full@acme.test', action: 'failed', status: '5.2.2', class: 'soft' },
    originalMessageId: /^<lda-quota\.\d+@acme\.test>$/,
    entityRefId: ref(4),
  },
  {
    file: 'dovecot-sieve-reject.eml',
    kind: 'dsn',
    recipient: { address: 'picky@acme.test', action: 'failed', status: '5.7.1', class: 'policy' },
    originalMessageId: /^<sieve-reject\.\d+@acme\.test>$/,
    entityRefId: ref(5),
  },
  {
    file: 'dovecot-sieve-vacation.eml',
    kind: 'auto-reply',
    originalMessageId: null,
    entityRefId: null,
    autoReplyReason: /^Auto-Submitted: auto-replied \(vacation\)$/,
  },
  {
    file: 'exim-rcpt-unknown.eml',
    kind: 'dsn',
    // Exim writes Status: 5.0.0; the remote server's 5.1.1 is in the diagnostic.
    recipient: { address: 'ghost@acme.test', action: 'failed', status: '5.1.1', class: 'hard' },
    originalMessageId: /^<exim\.\d+@exim\.test>$/,
    entityRefId: ref(7),
  },
  {
    file: 'arf-abuse-constructed.eml',
    kind: 'arf',
    originalMessageId: /^<arf\.\d+@acme\.test>$/,
    entityRefId: ref(9),
    feedbackType: 'abuse',
  },
];

describe('readInbound over the captured fixtures', () => {
  it('has a case for every fixture', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    expect(CASES.map((c) => c.file).sort()).toEqual(files);
  });

  it.each(CASES)('$file reads as $kind', async (c) => {
    const reading = await readInbound(fixture(c.file));
    expect(reading.kind).toBe(c.kind);
    expect(reading.parseError).toBeNull();
    expect(reading.messageId).toMatch(/^<.+>$/);
    expect(reading.date).toBeInstanceOf(Date);
    expect(reading.reportId).toMatch(/^[0-9a-f]{64}$/);
    if (c.recipient) {
      expect(reading.recipients).toHaveLength(1);
      expect(reading.recipients[0]).toMatchObject(c.recipient);
    } else {
      expect(reading.recipients).toEqual([]);
    }
    if (c.originalMessageId) expect(reading.original.messageId).toMatch(c.originalMessageId);
    else expect(reading.original.messageId).toBeNull();
    expect(reading.original.entityRefId).toBe(c.entityRefId);
    if (c.autoReplyReason) expect(reading.autoReplyReason).toMatch(c.autoReplyReason);
    else expect(reading.autoReplyReason).toBeNull();
    if (c.feedbackType) expect(reading.feedback?.type).toBe(c.feedbackType);
    else expect(reading.feedback).toBeNull();
  });

  it('reads the per-message and per-recipient fields of a Postfix DSN', async () => {
    const r = await readInbound(fixture('postfix-unknown-user.eml'));
    expect(r.from).toEqual({ address: 'MAILER-DAEMON@acme.test', name: 'Mail Delivery System' });
    expect(r.to).toEqual(['owner@acme.test']);
    expect(r.subject).toBe('Undelivered Mail Returned to Sender');
    expect(r.reportType).toBe('delivery-status');
    expect(r.text).toContain('This is the mail system at host mail.acme.test.');
    expect(r.recipients[0]).toMatchObject({
      originalRecipient: 'ghost@acme.test',
      statusSource: 'status',
      remoteMta: 'dns; mail.acme.test',
    });
    expect(r.recipients[0].diagnostic).toMatch(/^smtp; 550 5\.1\.1 <ghost@acme\.test> User/);
    expect(r.original).toMatchObject({
      returnPath: 'owner@acme.test',
      to: ['ghost@acme.test'],
      from: 'owner@acme.test',
    });
    expect(r.original.date).toBeInstanceOf(Date);
  });

  it('reads the original of a delayed DSN from its text/rfc822-headers part', async () => {
    const r = await readInbound(fixture('postfix-delayed.eml'));
    expect(r.subject).toBe('Delayed Mail (still being retried)');
    expect(r.original.to).toEqual(['someone@remote.test']);
    expect(r.recipients[0].diagnostic).toMatch(/Connection refused/);
  });

  it("takes the Dovecot LDA rejection's reason from its text, its report having none", async () => {
    const r = await readInbound(fixture('dovecot-lda-quota.eml'));
    expect(r.recipients[0].diagnostic).toBe('Quota exceeded (mailbox for user is full)');
  });

  it('reads an ARF report: feedback fields and the reported message', async () => {
    const r = await readInbound(fixture('arf-abuse-constructed.eml'));
    expect(r.feedback).toEqual({
      type: 'abuse',
      userAgent: 'SomeGenerator/1.0',
      originalRcptTo: ['friend@isp.example'],
      sourceIp: '192.0.2.25',
      originalMailFrom: 'owner@acme.test',
    });
    expect(r.original.returnPath).toBe('owner@acme.test');
  });

  it('gives the same reportId for the same report and another for another', async () => {
    const a = await readInbound(fixture('postfix-unknown-user.eml'));
    const b = await readInbound(Buffer.from(fixture('postfix-unknown-user.eml')));
    const c = await readInbound(fixture('postfix-lmtp-quota.eml'));
    expect(a.reportId).toBe(b.reportId);
    expect(a.reportId).not.toBe(c.reportId);
  });
});

/** A bounce as an MTA or forwarder that sends no report part would: the real text alone. */
async function textOnly(file: string): Promise<Buffer> {
  const real = await readInbound(fixture(file));
  return Buffer.from(
    [
      `From: ${real.from?.name} <${real.from?.address}>`,
      'To: owner@acme.test',
      `Subject: ${real.subject}`,
      'Message-ID: <text-only@mx.example>',
      'Date: Mon, 07 Dec 2026 15:52:34 +0000',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      real.text ?? '',
    ].join('\r\n'),
  );
}

describe('readInbound over bounces without a report part', () => {
  it("reads Exim's text: the failed address and the remote server's 5.1.1", async () => {
    const r = await readInbound(await textOnly('exim-rcpt-unknown.eml'));
    expect(r.kind).toBe('dsn');
    expect(r.recipients).toEqual([
      expect.objectContaining({
        address: 'ghost@acme.test',
        action: 'failed',
        status: '5.1.1',
        class: 'hard',
        statusSource: 'text',
      }),
    ]);
    expect(r.recipients[0].diagnostic).toMatch(/SMTP error from remote mail server after RCPT/);
  });

  it("reads Postfix's text: <address>: host ... said: 550 5.1.1", async () => {
    const r = await readInbound(await textOnly('postfix-unknown-user.eml'));
    expect(r.kind).toBe('dsn');
    expect(r.recipients[0]).toMatchObject({
      address: 'ghost@acme.test',
      status: '5.1.1',
      class: 'hard',
    });
  });

  it("reads Postfix's delay warning text as delayed", async () => {
    const r = await readInbound(await textOnly('postfix-delayed.eml'));
    expect(r.recipients[0]).toMatchObject({
      address: 'someone@remote.test',
      action: 'delayed',
      status: '4.0.0',
      class: 'delayed',
    });
  });

  it("reads Dovecot's Sieve reject (an MDN, no DSN part) from its text", async () => {
    const r = await readInbound(fixture('dovecot-sieve-reject.eml'));
    expect(r.reportType).toBe('disposition-notification');
    expect(r.recipients[0]).toMatchObject({ statusSource: 'inferred' });
  });

  it("reads qmail's wording (written from qmail-send's text: no qmail in Debian to capture)", async () => {
    const raw = Buffer.from(
      [
        'From: MAILER-DAEMON@mx.example.net',
        'To: owner@acme.test',
        'Subject: failure notice',
        'Message-ID: <qmail-text@mx.example.net>',
        '',
        'Hi. This is the qmail-send program at mx.example.net.',
        "I'm afraid I wasn't able to deliver your message to the following addresses.",
        "This is a permanent error; I've given up. Sorry it didn't work out.",
        '',
        '<ghost@example.net>:',
        '192.0.2.7 does not like recipient.',
        'Remote host said: 550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown',
        'Giving up on 192.0.2.7.',
        '',
        '--- Below this line is a copy of the message.',
        '',
      ].join('\n'),
    );
    const r = await readInbound(raw);
    expect(r.kind).toBe('dsn');
    expect(r.recipients[0]).toMatchObject({
      address: 'ghost@example.net',
      status: '5.1.1',
      class: 'hard',
    });
  });

  it('leaves a person quoting a bounce a reply', async () => {
    const raw = Buffer.from(
      [
        'From: Ana <ana@example.org>',
        'To: owner@acme.test',
        'Subject: Re: Undelivered Mail Returned to Sender',
        'Message-ID: <person@example.org>',
        '',
        'Why did I get this?',
        '> <ghost@acme.test>: host mail.acme.test said: 550 5.1.1 User unknown',
      ].join('\n'),
    );
    const r = await readInbound(raw);
    expect(r.kind).toBe('reply');
    expect(r.recipients).toEqual([]);
  });
});

describe('readInbound: classes', () => {
  const dsn = (status: string, diagnostic: string, action = 'failed') =>
    Buffer.from(
      [
        'From: MAILER-DAEMON@mx.example',
        'To: owner@acme.test',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn@mx.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'It failed.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example',
        '',
        'Final-Recipient: rfc822; friend@example.org',
        `Action: ${action}`,
        `Status: ${status}`,
        `Diagnostic-Code: smtp; ${diagnostic}`,
        '',
        '--b--',
        '',
      ].join('\r\n'),
    );

  it.each([
    ['5.1.1', '550 5.1.1 User unknown', 'failed', 'hard'],
    ['5.1.2', '550 5.1.2 Host unknown', 'failed', 'hard'],
    ['5.1.3', '501 5.1.3 Bad recipient address syntax', 'failed', 'hard'],
    ['5.1.6', '551 5.1.6 Mailbox has moved', 'failed', 'hard'],
    ['5.1.10', '556 5.1.10 Recipient address has null MX', 'failed', 'hard'],
    ['5.4.4', 'Host or domain name not found. Name service error', 'failed', 'hard'],
    ['5.4.4', 'unable to route: no route to host', 'failed', 'soft'],
    ['5.2.2', '552 5.2.2 Mailbox full', 'failed', 'soft'],
    ['5.2.1', '550 5.2.1 Mailbox disabled', 'failed', 'soft'],
    ['4.4.1', 'connect to mx.example: Connection refused', 'failed', 'soft'],
    ['4.7.0', '421 4.7.0 Try again later', 'delayed', 'delayed'],
    [
      '5.7.1',
      '554 5.7.1 Service unavailable; client blocked using zen.spamhaus.org',
      'failed',
      'policy',
    ],
    ['5.7.1', '550 5.7.1 Message rejected as spam', 'failed', 'policy'],
    ['5.7.1', '550 5.7.1 Sender address rejected: Access denied', 'failed', 'sender'],
    ['5.7.26', '550 5.7.26 Unauthenticated email is not accepted (DMARC)', 'failed', 'sender'],
    ['5.7.1', '550 5.7.1 SPF check failed', 'failed', 'sender'],
    ['5.1.7', '553 5.1.7 Bad sender address syntax', 'failed', 'sender'],
    ['5.1.8', '553 5.1.8 Sender domain does not exist', 'failed', 'sender'],
    ['5.0.0', '550 No such user here', 'failed', 'hard'],
    ['2.0.0', '250 2.0.0 Ok', 'delivered', 'delayed'],
  ])('%s "%s" (%s) is %s', async (status, diagnostic, action, klass) => {
    const r = await readInbound(dsn(status, diagnostic, action));
    expect(r.kind).toBe('dsn');
    expect(r.recipients[0]).toMatchObject({ status, action, class: klass });
  });
});

describe('readInbound: automatic replies', () => {
  const message = (headers: string[], subject = 'Hello') =>
    Buffer.from(
      [
        'From: Friend <friend@example.org>',
        'To: owner@acme.test',
        `Subject: ${subject}`,
        'Message-ID: <auto@example.org>',
        'In-Reply-To: <sent@acme.test>',
        ...headers,
        '',
        'I am away.',
      ].join('\r\n'),
    );

  it.each([
    [['Auto-Submitted: auto-replied'], 'Hello', /Auto-Submitted/],
    [['X-Autoreply: yes'], 'Hello', /x-autoreply/],
    [['X-Autorespond: Out of office'], 'Hello', /x-autorespond/],
    [['Precedence: auto_reply'], 'Hello', /Precedence/],
    [['Precedence: junk'], 'Hello', /Precedence/],
    [['X-Auto-Response-Suppress: All'], 'Hello', /X-Auto-Response-Suppress/],
    [['X-MS-Exchange-Inbox-Rules-Loop: friend@example.org'], 'Hello', /Rules-Loop/],
    [[], 'Automatic reply: Your referral reward', /Subject/],
    [[], 'Out of Office: back Monday', /Subject/],
    [[], 'Autoreply: Your referral reward', /Subject/],
    [[], 'Abwesenheitsnotiz: Ihre Prämie', /Subject/],
    [[], 'Fuera de la oficina: Su recompensa', /Subject/],
    [[], 'Resposta automática: Sua recompensa', /Subject/],
  ])('%j / "%s" is an auto-reply', async (headers, subject, reason) => {
    const r = await readInbound(message(headers, subject));
    expect(r.kind).toBe('auto-reply');
    expect(r.autoReplyReason).toMatch(reason);
    expect(r.inReplyTo).toBe('<sent@acme.test>');
  });

  it('Auto-Submitted: no is a person', async () => {
    const r = await readInbound(message(['Auto-Submitted: no'], 'Re: Your referral reward'));
    expect(r.kind).toBe('reply');
    expect(r.autoReplyReason).toBeNull();
    expect(r.text).toContain('I am away.');
  });
});

describe('readInbound on hostile input never throws and stays bounded', () => {
  const timed = async (raw: Buffer, ms = 10000) => {
    const started = Date.now();
    const reading = await readInbound(raw);
    expect(Date.now() - started).toBeLessThan(ms);
    expect(reading.reportId).toMatch(/^[0-9a-f]{64}$/);
    return reading;
  };

  it('empty input and random bytes', async () => {
    expect((await timed(Buffer.alloc(0))).kind).toBe('reply');
    const random = Buffer.alloc(200_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 256;
    expect((await timed(random)).kind).toBe('reply');
  });

  it('truncated MIME (a DSN cut at every tenth of its length)', async () => {
    const raw = fixture('postfix-unknown-user.eml');
    for (let cut = 1; cut < 10; cut++) {
      const r = await timed(raw.subarray(0, Math.floor((raw.length * cut) / 10)));
      expect(['dsn', 'reply', 'auto-reply']).toContain(r.kind);
    }
  });

  it('5,000 parts', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 5000; i++)
      parts.push(`--x\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`);
    const raw = Buffer.from(
      `From: a@example.org\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n${parts.join('')}--x--\r\n`,
    );
    const r = await timed(raw);
    expect(r.kind).toBe('reply');
    expect(r.subject).toBe('many');
  });

  it('a DSN with 100,000 recipient blocks keeps the first 1,000', async () => {
    const blocks: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      blocks.push(
        `Final-Recipient: rfc822; u${i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n`,
      );
    }
    const raw = Buffer.from(
      'From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n' +
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n' +
        `--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n${blocks.join('\r\n')}\r\n--b--\r\n`,
    );
    const r = await timed(raw);
    expect(r.kind).toBe('dsn');
    expect(r.recipients.length).toBeLessThanOrEqual(1000);
    expect(r.recipients[0]).toMatchObject({ address: 'u0@example.org', class: 'hard' });
  });

  it('huge headers: one of 2 MB, and 50,000 of them', async () => {
    const one = Buffer.from(
      `From: a@example.org\r\nX-Junk: ${'a'.repeat(2 * 1024 * 1024)}\r\nSubject: big\r\n\r\nbody\r\n`,
    );
    const r1 = await timed(one);
    expect(r1.kind).toBe('reply');
    expect(r1.from?.address).toBe('a@example.org');
    const many = Buffer.from(
      `From: a@example.org\r\n${'X-Many: value\r\n'.repeat(50_000)}Subject: many headers\r\n\r\nbody\r\n`,
    );
    expect((await timed(many)).kind).toBe('reply');
    const folded = Buffer.from(
      `From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\nX-Failed-Recipients: ${'\r\n x@y.z'.repeat(100_000)}\r\n\r\nbody\r\n`,
    );
    await timed(folded);
  });

  it('wrong and unknown charsets, broken encoded words and bytes', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        'From: =?x-unknown?Q?Caf=E9?= <a@example.org>\r\nSubject: =?utf-8?B?!!!notbase64?= =?bogus?Q?=ZZ?=\r\n' +
          'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' +
          '--m\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xe9\r\n' +
          '--m\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+ADw-script+AD4-\r\n' +
          '--m\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        'latin1',
      ),
      Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0d, 0x0a]),
      Buffer.from('--m--\r\n'),
    ]);
    const r = await timed(raw);
    expect(r.kind).toBe('reply');
    expect(r.from?.address).toBe('a@example.org');
  });

  it('deep nesting, long lines and pathological bounce text', async () => {
    let nested = 'Content-Type: text/plain\r\n\r\ninner\r\n';
    for (let i = 0; i < 500; i++) {
      nested = `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n${nested}--n${i}--\r\n`;
    }
    await timed(Buffer.from(`From: a@example.org\r\n${nested}`));
    const long = Buffer.from(
      `From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n\r\n${'<'.repeat(3_000_000)}\r\n`,
    );
    await timed(long);
    const lines = Buffer.from(
      'From: MAILER-DAEMON@mx.example\r\nSubject: Mail delivery failed\r\n\r\n' +
        'The following address(es) failed:\r\n\r\n' +
        '  x@example.org\r\n    550 5.1.1 unknown\r\n'.repeat(200_000),
    );
    const r = await timed(lines);
    expect(r.kind).toBe('dsn');
    expect(r.recipients.length).toBeLessThanOrEqual(1000);
    const angles = Buffer.from(
      'From: MAILER-DAEMON@mx.example\r\nSubject: failure notice\r\n\r\n' +
        '<a@b.c>:\r\n'.repeat(300_000),
    );
    await timed(angles);
    const dsnLine = Buffer.from(
      'From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n' +
        `--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; ${'x'.repeat(5_000_000)}\r\n--b--\r\n`,
    );
    await timed(dsnLine);
  });
});
