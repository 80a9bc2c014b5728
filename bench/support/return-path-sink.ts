import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** What a bounce needs to know of one message: its envelope and its header block as sent. */
export interface SentMessage {
  /** MAIL FROM: the return path a bounce goes to ('' for the null sender). */
  mailFrom: string;
  rcptTo: string;
  /** The header block, up to the blank line, as it went out (what text/rfc822-headers carries). */
  headers: string;
  messageId: string | null;
}

/**
 * A plaintext SMTP server on 127.0.0.1 that accepts everything and keeps each message's envelope
 * and header block (not its body), so the bench can bounce exactly what the service sent.
 */
export class ReturnPathSink {
  readonly host = '127.0.0.1';
  readonly sent: SentMessage[] = [];
  private portNumber = 0;
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      maxClients: 100,
      closeTimeout: 200,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const end = raw.indexOf('\r\n\r\n');
          const headers = end < 0 ? raw : raw.slice(0, end);
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          for (const { address } of session.envelope.rcptTo) {
            this.sent.push({
              mailFrom,
              rcptTo: address,
              headers,
              messageId: /^message-id:\s*(<[^>\r\n]+>)/im.exec(headers)?.[1] ?? null,
            });
          }
          callback(null, 'Message accepted');
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  get port(): number {
    return this.portNumber;
  }

  static async start(): Promise<ReturnPathSink> {
    const sink = new ReturnPathSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    sink.portNumber = (sink.server.server.address() as AddressInfo).port;
    return sink;
  }

  /** The messages sent to recipients whose address starts with `prefix`. */
  to(prefix: string): SentMessage[] {
    return this.sent.filter((m) => m.rcptTo.startsWith(prefix));
  }

  async stop(): Promise<void> {
    for (const connection of this.server.connections) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
