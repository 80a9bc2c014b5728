import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with whether its signature verified. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body when the signature verified with the secret in use; null otherwise. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
  answered: number;
}

/**
 * A local HTTP receiver that checks each request's Standard Webhooks signature with the
 * `standardwebhooks` package, as a real receiver would, and answers what the test tells it to.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The secret(s) the receiver verifies with; set once the endpoint is created. */
  secrets: string[] = [];
  /** The status to answer a request with (by default 200). */
  answer: (req: ReceivedWebhook) => number = () => 200;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}/hooks`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        };
        let verified: ReceivedWebhook['verified'] = null;
        for (const secret of receiver.secrets) {
          try {
            verified = new Webhook(secret).verify(body, headers) as ReceivedWebhook['verified'];
            break;
          } catch {
            // Not signed with this one; the next may be the one in use.
          }
        }
        const got: ReceivedWebhook = {
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signature: headers['webhook-signature'],
          body,
          verified,
          answered: 0,
        };
        got.answered = receiver.answer(got);
        receiver.received.push(got);
        res.writeHead(got.answered, { 'content-type': 'text/plain' });
        res.end(got.answered < 300 ? 'ok' : `refused with ${got.answered}`);
      });
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The verified events of one type. */
  events(type: string): NonNullable<ReceivedWebhook['verified']>[] {
    return this.received.flatMap((r) => (r.verified?.type === type ? [r.verified] : []));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
