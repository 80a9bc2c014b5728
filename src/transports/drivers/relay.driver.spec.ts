import { SmtpTestServer } from '../../../test/support/smtp-test-server';
import type { OutgoingMail } from '../mail-driver';
import type { BuiltinRoute } from '../mail-route';
import { RelayDriver } from './relay.driver';

const route: BuiltinRoute = { kind: 'builtin', from: { address: 'notifications@platform.test' } };

function mail(n: number): OutgoingMail {
  const raw = Buffer.from(
    `From: notifications@platform.test\r\nTo: ana${n}@example.com\r\nSubject: Relay ${n}\r\n\r\nHello ${n}\r\n`,
  );
  return {
    id: `m-${n}`,
    programId: 'prog_1',
    raw,
    envelope: { from: 'notifications@platform.test', to: [`ana${n}@example.com`] },
  };
}

describe(RelayDriver.name, () => {
  let relay: SmtpTestServer;
  let driver: RelayDriver;

  beforeAll(async () => {
    relay = await SmtpTestServer.start({ disableSTARTTLS: true });
    driver = new RelayDriver(`smtp://127.0.0.1:${relay.port}`, 'notify.example.net');
  });

  afterAll(async () => {
    await driver.close();
    await relay.stop();
  });

  it('sends the composed bytes to the relay, naming the service in EHLO', async () => {
    const results = await Promise.all([1, 2].map((n) => driver.send(route, mail(n))));
    expect(results.map((r) => r.accepted)).toEqual([['ana1@example.com'], ['ana2@example.com']]);
    const received = await relay.waitForMessages(2);
    // The options go beside the URL: as message defaults nodemailer ignored the name.
    expect(received.map((m) => m.ehlo)).toEqual(['notify.example.net', 'notify.example.net']);
    expect(received.map((m) => m.subject).sort()).toEqual(['Relay 1', 'Relay 2']);
  });
});
