import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { nowMs } from './stats';

/**
 * A plaintext SMTP server on 127.0.0.1 that accepts everything and keeps only counts and times:
 * no parsing, so the sink costs the same whoever sends to it.
 */
export class SmtpSink {
  readonly host = '127.0.0.1';
  accepted = 0;
  bytes = 0;
  firstAcceptedAt?: number;
  lastAcceptedAt?: number;
  maxConnections = 0;
  private open = 0;
  private waiters: Array<() => void> = [];
  private portNumber = 0;
  private readonly server: SMTPServer;

  private constructor() {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      // Two pools of five plus verification connections; leave headroom.
      maxClients: 100,
      closeTimeout: 200,
      onConnect: (_session, callback) => {
        this.open++;
        this.maxConnections = Math.max(this.maxConnections, this.open);
        callback();
      },
      onClose: () => {
        this.open--;
      },
      onData: (stream, _session, callback) => {
        let size = 0;
        stream.on('data', (chunk: Buffer) => (size += chunk.length));
        stream.on('end', () => {
          this.bytes += size;
          this.accepted++;
          const t = nowMs();
          this.firstAcceptedAt ??= t;
          this.lastAcceptedAt = t;
          const waiters = this.waiters;
          this.waiters = [];
          for (const wake of waiters) wake();
          callback(null, 'Message accepted');
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  get port(): number {
    return this.portNumber;
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    sink.portNumber = (sink.server.server.address() as AddressInfo).port;
    return sink;
  }

  reset(): void {
    this.accepted = 0;
    this.bytes = 0;
    this.firstAcceptedAt = undefined;
    this.lastAcceptedAt = undefined;
    this.maxConnections = this.open;
  }

  /** Resolves when `count` messages were accepted; rejects when none arrived for `stallMs`. */
  async waitFor(
    count: number,
    stallMs: number,
    onProgress?: (accepted: number) => void,
  ): Promise<void> {
    let seen = this.accepted;
    let lastChange = Date.now();
    while (this.accepted < count) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (this.accepted !== seen) {
        seen = this.accepted;
        lastChange = Date.now();
        onProgress?.(seen);
      } else if (Date.now() - lastChange > stallMs) {
        throw new Error(
          `the sink stalled at ${this.accepted} of ${count} messages (nothing for ${stallMs} ms)`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    for (const connection of this.server.connections) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
