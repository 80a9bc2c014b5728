import { SmtpTestServer, type SmtpReply } from './support/smtp-test-server';
import { bearer, startTestApp, type TestApp } from './support/test-app';

const USERS = { 'owner@acme.test': 'owner-Secret-9f3k' };

// What PUT /v1/integrations/smtp checks before it saves: that the connection, the login and the
// envelope (MAIL FROM, RCPT TO postmaster@example.com, RSET) all work, against real servers that
// answer the way real ones do when settings can log in but not send.
describe('SMTP verification on connect (e2e)', () => {
  let t: TestApp;
  let implicit: SmtpTestServer;
  let starttlsFirst: SmtpTestServer;
  let relay: SmtpTestServer;
  let sender: SmtpTestServer;
  let open: SmtpTestServer;
  // Every envelope address each server was offered, in order.
  const seen = new Map<SmtpTestServer, string[]>();

  const recording =
    (server: () => SmtpTestServer, kind: 'MAIL' | 'RCPT', reply: (a: string) => SmtpReply | void) =>
    (address: string) => {
      seen.get(server())?.push(`${kind} ${address}`);
      return reply(address);
    };

  beforeAll(async () => {
    [implicit, starttlsFirst, relay, sender, open] = await Promise.all([
      SmtpTestServer.start({ secure: true }),
      // Postfix with smtpd_tls_security_level=encrypt: anything goes until MAIL FROM.
      SmtpTestServer.start({
        onMailFrom: recording(
          () => starttlsFirst,
          'MAIL',
          () => ({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' }),
        ),
      }),
      // Logs anyone in (or no one), and relays for no one.
      SmtpTestServer.start({
        users: USERS,
        onMailFrom: recording(
          () => relay,
          'MAIL',
          () => undefined,
        ),
        onRcptTo: recording(
          () => relay,
          'RCPT',
          (a) => ({ code: 554, message: `5.7.1 <${a}>: Relay access denied` }),
        ),
      }),
      // Takes only the addresses the account owns; one domain does not exist at all.
      SmtpTestServer.start({
        users: USERS,
        onMailFrom: recording(
          () => sender,
          'MAIL',
          (a) => {
            if (a.endsWith('@nowhere.test'))
              return {
                code: 550,
                message: `5.1.8 <${a}>: Sender address rejected: Domain not found`,
              };
            if (a !== 'owner@acme.test' && a !== 'rewards@acme.test')
              return {
                code: 553,
                message: `5.7.1 <${a}>: Sender address rejected: not owned by user owner@acme.test`,
              };
          },
        ),
        onRcptTo: recording(
          () => sender,
          'RCPT',
          () => undefined,
        ),
      }),
      SmtpTestServer.start({
        users: USERS,
        onMailFrom: recording(
          () => open,
          'MAIL',
          () => undefined,
        ),
        onRcptTo: recording(
          () => open,
          'RCPT',
          () => undefined,
        ),
      }),
    ]);
    for (const server of [starttlsFirst, relay, sender, open]) seen.set(server, []);
    t = await startTestApp({ env: { SMTP_ALLOW_PRIVATE_HOSTS: 'true' } });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([implicit, starttlsFirst, relay, sender, open].map((s) => s?.stop()));
  });

  beforeEach(() => {
    for (const list of seen.values()) list.length = 0;
  });

  const body = (
    server: SmtpTestServer,
    security: 'none' | 'tls' | 'ssl',
    extra: Record<string, unknown> = {},
  ) => ({
    host: server.host,
    port: server.port,
    security,
    fromAddress: 'rewards@acme.test',
    ...extra,
  });
  const login = { username: 'owner@acme.test', password: USERS['owner@acme.test'] };

  /** Connects a new program with `settings`; answers the PUT and the GET that follows it. */
  async function connect(settings: Record<string, unknown>) {
    const p = await t.createProgram({ name: 'Verify' });
    const put = await t.http.put('/v1/integrations/smtp').set(bearer(p.secretKey)).send(settings);
    const read = await t.http.get('/v1/integrations/smtp').set(bearer(p.secretKey));
    return { put, read };
  }

  describe('a security setting that does not match an implicit TLS port', () => {
    it.each(['none', 'tls'] as const)(
      'answers SMTP_TLS_MISMATCH for %s, saying to choose ssl, and saves nothing',
      async (security) => {
        const { put, read } = await connect(body(implicit, security));
        expect(put.status).toBe(422);
        expect(put.body.code).toBe('SMTP_TLS_MISMATCH');
        expect(put.body.message).toContain(`Port ${implicit.port} expects SSL (implicit TLS)`);
        expect(put.body.message).toContain(`Choose SSL for port ${implicit.port} (security "ssl")`);
        expect(read.status).toBe(404);
      },
    );
  });

  describe('settings that log in but cannot send', () => {
    it('answers SMTP_STARTTLS_REQUIRED when the server wants STARTTLS before mail', async () => {
      const { put, read } = await connect(body(starttlsFirst, 'none'));
      expect(put.status).toBe(422);
      expect(put.body).toMatchObject({ statusCode: 422, code: 'SMTP_STARTTLS_REQUIRED' });
      expect(put.body.message).toContain('(530 5.7.0)');
      expect(put.body.message).toContain('Choose "tls" (STARTTLS)');
      expect(seen.get(starttlsFirst)).toEqual(['MAIL rewards@acme.test']);
      expect(read.status).toBe(404);
    });

    it.each([
      ['without a login', {}],
      ['with a login it does not relay for', login],
    ])('answers SMTP_RELAY_DENIED %s', async (_how, credentials) => {
      const { put, read } = await connect(body(relay, 'tls', credentials));
      expect(put.status).toBe(422);
      expect(put.body.code).toBe('SMTP_RELAY_DENIED');
      expect(put.body.message).toContain('(554 5.7.1)');
      expect(put.body.message).toContain('Enter the username and password');
      expect(put.body.message).toContain('submission port 587');
      expect(seen.get(relay)).toEqual(['MAIL rewards@acme.test', 'RCPT postmaster@example.com']);
      expect(relay.received).toHaveLength(0);
      expect(read.status).toBe(404);
    });

    it.each([
      ['an address the account does not own', 'someone@acme.test', '(553 5.7.1)'],
      ['an address at a domain that does not exist', 'rewards@nowhere.test', '(550 5.1.8)'],
    ])('answers SMTP_SENDER_REJECTED for %s', async (_what, fromAddress, status) => {
      const { put, read } = await connect(body(sender, 'tls', { ...login, fromAddress }));
      expect(put.status).toBe(422);
      expect(put.body.code).toBe('SMTP_SENDER_REJECTED');
      expect(put.body.message).toContain(`The server refused the From address ${status}`);
      expect(put.body.message).toContain('Use an address this account is allowed to send as');
      expect(read.status).toBe(404);
    });

    it('tries the test From address when one is given', async () => {
      const { put, read } = await connect(
        body(sender, 'tls', { ...login, testFromAddress: 'tests@acme.test' }),
      );
      expect(put.status).toBe(422);
      expect(put.body.code).toBe('SMTP_SENDER_REJECTED');
      expect(seen.get(sender)).toEqual(['MAIL tests@acme.test']);
      expect(read.status).toBe(404);
    });

    it('still answers SMTP_AUTH_FAILED for a wrong password, before any envelope', async () => {
      const { put, read } = await connect(
        body(sender, 'tls', { ...login, password: 'not-the-Password-1' }),
      );
      expect(put.status).toBe(422);
      expect(put.body.code).toBe('SMTP_AUTH_FAILED');
      expect(seen.get(sender)).toEqual([]);
      expect(read.status).toBe(404);
    });
  });

  it('saves settings that can send, and sends nothing while checking them', async () => {
    const { put, read } = await connect(body(open, 'tls', login));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'connected', fromAddress: 'rewards@acme.test' });
    expect(read.status).toBe(200);
    expect(seen.get(open)).toEqual(['MAIL rewards@acme.test', 'RCPT postmaster@example.com']);
    // The session ended with RSET before DATA: the server received no message.
    expect(open.received).toHaveLength(0);
  });
});
