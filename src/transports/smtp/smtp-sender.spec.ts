import { Socket } from 'node:net';
import { SmtpTestServer } from '../../../test/support/smtp-test-server';
import type { HostResolver } from './host-guard';
import { SmtpError, type SmtpErrorContext } from './smtp-errors';
import { sendSmtpMessage, type OutgoingMessage } from './smtp-sender';
import type { SmtpSettings } from './smtp-settings';
import { createSmtpTransport } from './transport-factory';
import { SmtpTransportPool } from './transport-pool';

const USER = 'sender@example.com';
const PASSWORD = 'sender-Password-1';
const resolver: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];

const message: OutgoingMessage = {
  from: { name: 'Acme Rewards', address: 'rewards@acme.test' },
  to: 'ana@example.com',
  replyTo: 'help@acme.test',
  subject: 'You earned a reward',
  text: 'Hi Ana, you earned $25.',
  html: '<p>Hi Ana, you earned <strong>$25</strong>.</p>',
  headers: { 'X-Program': 'prog_1' },
};

async function sendError(promise: Promise<unknown>): Promise<SmtpError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SmtpError) return err;
    throw err;
  }
  throw new Error('expected the send to fail');
}

describe('sendSmtpMessage', () => {
  let starttls: SmtpTestServer;
  let implicit: SmtpTestServer;
  let picky: SmtpTestServer;
  let authRequired: SmtpTestServer;
  let plaintext: SmtpTestServer;
  let pool: SmtpTransportPool;

  const settingsFor = (
    server: SmtpTestServer,
    security: SmtpSettings['security'],
    login = true,
  ): SmtpSettings => ({
    host: 'localhost',
    port: server.port,
    security,
    ...(login ? { username: USER, password: PASSWORD } : {}),
  });
  const ctxFor = (settings: SmtpSettings): SmtpErrorContext => ({
    host: settings.host,
    port: settings.port,
    security: settings.security,
    secrets: settings.password ? [settings.password] : [],
  });

  beforeAll(async () => {
    [starttls, implicit, picky, authRequired, plaintext] = await Promise.all([
      SmtpTestServer.start({ users: { [USER]: PASSWORD } }),
      SmtpTestServer.start({ secure: true, users: { [USER]: PASSWORD } }),
      SmtpTestServer.start({
        onRcptTo: (address) => {
          if (address.startsWith('gone'))
            return {
              code: 550,
              message: '5.1.1 <' + address + '>: Recipient address rejected: User unknown',
            };
          if (address.startsWith('busy'))
            return { code: 452, message: '4.2.2 Mailbox full, try again later' };
          return undefined;
        },
      }),
      SmtpTestServer.start({ authRequired: true }),
      SmtpTestServer.start({ disableSTARTTLS: true }),
    ]);
    pool = new SmtpTransportPool({
      allowPrivateHosts: true,
      resolver,
      timeouts: { greetingTimeoutMs: 2000 },
    });
  });

  afterAll(async () => {
    await pool.closeAll();
    await Promise.all([starttls, implicit, picky, authRequired, plaintext].map((s) => s?.stop()));
  });

  it('delivers through a pooled STARTTLS transport, and the message arrives intact', async () => {
    const settings = settingsFor(starttls, 'tls');
    const transport = await pool.get('prog_1', settings, 1);
    const result = await sendSmtpMessage(transport, message, ctxFor(settings));

    expect(result.accepted).toEqual(['ana@example.com']);
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^250 /);
    const [mail] = await starttls.waitForMessages(1);
    expect(mail.messageId).toBe(result.messageId);
    expect(mail.from?.value).toEqual([{ name: 'Acme Rewards', address: 'rewards@acme.test' }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : undefined).toEqual([
      { name: '', address: 'ana@example.com' },
    ]);
    expect(mail.replyTo?.value[0].address).toBe('help@acme.test');
    expect(mail.subject).toBe('You earned a reward');
    expect(mail.text?.trim()).toBe('Hi Ana, you earned $25.');
    expect(mail.html).toBe('<p>Hi Ana, you earned <strong>$25</strong>.</p>');
    expect(mail.headers.get('x-program')).toBe('prog_1');
    expect(mail.envelope).toEqual({
      mailFrom: 'rewards@acme.test',
      rcptTo: ['ana@example.com'],
      user: USER,
      secure: true,
    });
  });

  it('reuses pooled connections for several messages', async () => {
    const settings = settingsFor(implicit, 'ssl');
    const transport = await pool.get('prog_2', settings, 1);
    const results = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        sendSmtpMessage(
          transport,
          { ...message, to: `${n}@example.com`, subject: `Message ${n}` },
          ctxFor(settings),
        ),
      ),
    );
    expect(results.map((r) => r.accepted[0])).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    const received = await implicit.waitForMessages(3);
    expect(received.map((m) => m.subject).sort()).toEqual(['Message a', 'Message b', 'Message c']);
    expect(received.every((m) => m.envelope.secure)).toBe(true);
    expect(await pool.get('prog_2', settings, 1)).toBe(transport);
  });

  it.each([
    ['STARTTLS', 'tls'],
    ['implicit TLS', 'ssl'],
  ] as const)('turns Nagle off on the connections it opens (%s)', async (_name, security) => {
    // The closing dot of a message otherwise waits for the server's delayed ACK.
    const noDelay = jest.spyOn(Socket.prototype, 'setNoDelay');
    try {
      const settings = settingsFor(security === 'tls' ? starttls : implicit, security);
      const transport = createSmtpTransport(settings, {
        host: 'localhost',
        address: '127.0.0.1',
        family: 4,
        servername: 'localhost',
      });
      await sendSmtpMessage(transport, message, ctxFor(settings));
      transport.close();
      expect(noDelay).toHaveBeenCalledWith(true);
    } finally {
      noDelay.mockRestore();
    }
  });

  it.each(['none', 'tls', 'ssl'] as const)(
    'keeps a pool sending after failed connects, and sends once the server is back (%s)',
    async (security) => {
      const down = await SmtpTestServer.start({
        secure: security === 'ssl',
        disableSTARTTLS: security === 'none',
      });
      const port = down.port;
      await down.stop();
      const settings: SmtpSettings = { host: 'localhost', port, security };
      const transport = createSmtpTransport(
        settings,
        { host: 'localhost', address: '127.0.0.1', family: 4, servername: 'localhost' },
        { pool: { maxConnections: 2 } },
      );
      try {
        // More failures than the pool has connections: each one must free its slot.
        for (let i = 0; i < 5; i++) {
          const err = await sendError(sendSmtpMessage(transport, message, ctxFor(settings)));
          expect(err.code).toBe('SMTP_CONNECTION_FAILED');
          expect(err.message).toContain('connection refused');
          expect(err.permanent).toBe(false);
        }
        const back = await SmtpTestServer.start({
          port,
          secure: security === 'ssl',
          disableSTARTTLS: security === 'none',
        });
        try {
          const result = await sendSmtpMessage(transport, message, ctxFor(settings));
          expect(result.accepted).toEqual(['ana@example.com']);
          expect(await back.waitForMessages(1)).toHaveLength(1);
        } finally {
          await back.stop();
        }
      } finally {
        transport.close();
      }
    },
  );

  it('reports a connect that never completes as a connection timeout', async () => {
    // A socket that never connects stands in for a host that drops the SYN.
    const net = jest.requireActual<typeof import('node:net')>('node:net');
    const connect = jest.spyOn(net, 'connect').mockImplementation(() => new Socket());
    const settings: SmtpSettings = { host: 'localhost', port: 2525, security: 'tls' };
    const transport = createSmtpTransport(
      settings,
      { host: 'localhost', address: '127.0.0.1', family: 4, servername: 'localhost' },
      { pool: true, timeouts: { connectionTimeoutMs: 50 } },
    );
    try {
      const err = await sendError(sendSmtpMessage(transport, message, ctxFor(settings)));
      expect(err.code).toBe('SMTP_TIMEOUT');
      expect(err.message).toContain('Could not connect to');
      expect(err.permanent).toBe(false);
    } finally {
      transport.close();
      connect.mockRestore();
    }
  });

  it('records recipients refused while others are accepted', async () => {
    const settings = settingsFor(picky, 'tls', false);
    const transport = createSmtpTransport(settings, {
      host: 'localhost',
      address: '127.0.0.1',
      family: 4,
      servername: 'localhost',
    });
    try {
      const result = await sendSmtpMessage(
        transport,
        { ...message, to: ['ok@example.com', 'gone@example.com', 'busy@example.com'] },
        ctxFor(settings),
      );
      expect(result.accepted).toEqual(['ok@example.com']);
      expect(result.rejected).toEqual([
        expect.objectContaining({
          address: 'gone@example.com',
          code: 'SMTP_RECIPIENT_UNKNOWN',
          responseCode: 550,
          enhancedStatus: '5.1.1',
          permanent: true,
          suppress: true,
        }),
        expect.objectContaining({
          address: 'busy@example.com',
          code: 'SMTP_RECIPIENT_TEMPORARY',
          responseCode: 452,
          permanent: false,
          suppress: false,
        }),
      ]);
      const [mail] = await picky.waitForMessages(1);
      expect(mail.envelope.rcptTo).toEqual(['ok@example.com']);
    } finally {
      transport.close();
    }
  });

  it('throws with every refusal when no recipient is accepted', async () => {
    const settings = settingsFor(picky, 'tls', false);
    const transport = await pool.get('prog_3', settings, 1);
    const err = await sendError(
      sendSmtpMessage(
        transport,
        { ...message, to: ['gone1@example.com', 'gone2@example.com'] },
        ctxFor(settings),
      ),
    );
    expect(err.code).toBe('SMTP_RECIPIENT_REJECTED');
    expect(err.permanent).toBe(true);
    expect(err.rejected?.map((r) => [r.address, r.suppress])).toEqual([
      ['gone1@example.com', true],
      ['gone2@example.com', true],
    ]);
  });

  it('reports a server that wants a login as SMTP_AUTH_REQUIRED', async () => {
    const settings = settingsFor(authRequired, 'tls', false);
    const transport = await pool.get('prog_4', settings, 1);
    const err = await sendError(sendSmtpMessage(transport, message, ctxFor(settings)));
    expect(err).toMatchObject({
      code: 'SMTP_AUTH_REQUIRED',
      permanent: true,
      integrationFailing: true,
    });
  });

  it('never sends in clear when TLS is required and the server cannot do STARTTLS', async () => {
    const settings = settingsFor(plaintext, 'tls', false);
    const transport = await pool.get('prog_5', settings, 1);
    const err = await sendError(sendSmtpMessage(transport, message, ctxFor(settings)));
    expect(err.code).toBe('SMTP_STARTTLS_UNAVAILABLE');
    expect(plaintext.received).toHaveLength(0);
  });

  it('refuses file and URL attachments even when asked directly', async () => {
    const settings = settingsFor(starttls, 'tls');
    const transport = await pool.get('prog_1', settings, 1);
    await expect(
      transport.sendMail({ ...message, attachments: [{ path: '/etc/hostname' }] }),
    ).rejects.toThrow(/File access rejected/);
    await expect(
      transport.sendMail({
        ...message,
        attachments: [{ path: 'http://169.254.169.254/latest/meta-data/' }],
      }),
    ).rejects.toThrow(/Url access rejected/);
  });

  it('classifies a wrong password on a pooled transport', async () => {
    const settings = { ...settingsFor(starttls, 'tls'), password: 'Wrong-Password-9' };
    const transport = await pool.get('prog_6', settings, 1);
    const err = await sendError(sendSmtpMessage(transport, message, ctxFor(settings)));
    expect(err).toMatchObject({
      code: 'SMTP_AUTH_FAILED',
      responseCode: 535,
      integrationFailing: true,
    });
    expect(JSON.stringify(err) + err.message).not.toContain('Wrong-Password-9');
  });
});
