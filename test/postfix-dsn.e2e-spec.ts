import { freePort } from './support/dovecot-test-server';
import { startMailStack, type MailStack } from './support/postfix-test-server';
import { awaitReport, CAPTURE_USERS, sendProbe } from './support/capture-inbound-fixtures';
import { readInbound } from '../src/inbound/reports/read-inbound';

// The live round trip behind the fixtures: a private Postfix accepts mail for acme.test, hands
// it to a private Dovecot over LMTP, and what comes back (Postfix's DSNs, Dovecot's rejections,
// a Sieve vacation reply) lands in the sender's IMAP INBOX, where readInbound reads it.
describe('bounces and replies from a real Postfix and Dovecot', () => {
  let stack: MailStack;

  beforeAll(async () => {
    const unreachable = await freePort();
    stack = await startMailStack(
      { users: CAPTURE_USERS },
      { delayWarningTime: '1s', routes: { 'remote.test': `[127.0.0.1]:${unreachable}` } },
    );
  }, 60000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("accepts mail for an unknown user, then returns Postfix's DSN: hard, 5.1.1, naming our message", async () => {
    const ref = '0b6f2c3e-1d2a-4f5b-8c9d-0e1f2a3b4c5d';
    const sent = await sendProbe(stack.postfix.port, 'ghost@acme.test', 'e2e-unknown', ref);
    expect(sent.response).toMatch(/^250 /);

    const reading = await readInbound(await awaitReport(stack, sent.messageId));
    expect(reading.kind).toBe('dsn');
    expect(reading.from?.address).toBe('MAILER-DAEMON@acme.test');
    expect(reading.recipients).toEqual([
      expect.objectContaining({
        address: 'ghost@acme.test',
        action: 'failed',
        status: '5.1.1',
        class: 'hard',
      }),
    ]);
    expect(reading.original.messageId).toBe(sent.messageId);
    expect(reading.original.entityRefId).toBe(ref);
    expect(reading.original.returnPath).toBe('owner@acme.test');
  });

  it('warns of mail deferred to an unreachable next hop: delayed, 4.4.1', async () => {
    const sent = await sendProbe(stack.postfix.port, 'someone@remote.test', 'e2e-delayed', 'd1');
    const reading = await readInbound(await awaitReport(stack, sent.messageId));
    expect(reading.kind).toBe('dsn');
    expect(reading.recipients[0]).toMatchObject({
      address: 'someone@remote.test',
      action: 'delayed',
      status: '4.4.1',
      class: 'delayed',
    });
    expect(reading.original.messageId).toBe(sent.messageId);
  });

  it('returns mail that Dovecot refused over LMTP for quota: soft, 5.2.2', async () => {
    const sent = await sendProbe(
      stack.postfix.port,
      'full@acme.test',
      'e2e-quota',
      'q1',
      'A reward statement. '.repeat(200),
    );
    const reading = await readInbound(await awaitReport(stack, sent.messageId));
    expect(reading.recipients[0]).toMatchObject({
      address: 'full@acme.test',
      status: '5.2.2',
      class: 'soft',
    });
  });

  it('brings back a Sieve vacation reply as an auto-reply to our message', async () => {
    const sent = await sendProbe(stack.postfix.port, 'away@acme.test', 'e2e-vacation', 'v1');
    const reading = await readInbound(await awaitReport(stack, sent.messageId));
    expect(reading.kind).toBe('auto-reply');
    expect(reading.autoReplyReason).toMatch(/^Auto-Submitted: auto-replied/);
    expect(reading.inReplyTo).toBe(sent.messageId);
  });
});
