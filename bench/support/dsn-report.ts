import { connect, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SentMessage } from './return-path-sink';
import { nowMs, sleep } from './stats';

/**
 * A hard bounce of `original` as a receiving MTA writes one (RFC 3464 multipart/report): a text
 * part, the delivery-status part for its recipient, and the original's header block as sent.
 */
export function dsnReport(original: SentMessage, to: string, n: number): Buffer {
  const rcpt = original.rcptTo;
  return Buffer.from(
    [
      'From: Mail Delivery System <MAILER-DAEMON@mx.bench.example>',
      `To: ${to}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <dsn-${n}-${Date.now()}@mx.bench.example>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b-dsn"',
      '',
      '--b-dsn',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'This is the mail system at host mx.bench.example.',
      '',
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients.',
      '',
      `<${rcpt}>: host mx.bench.example said: 550 5.1.1 User unknown`,
      '',
      '--b-dsn',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.bench.example',
      '',
      `Final-Recipient: rfc822; ${rcpt}`,
      'Action: failed',
      'Status: 5.1.1',
      'Remote-MTA: dns; mx.bench.example',
      `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: User unknown`,
      '',
      '--b-dsn',
      'Content-Type: text/rfc822-headers',
      '',
      original.headers,
      '',
      '--b-dsn--',
      '',
    ].join('\r\n'),
  );
}

export interface HandOver {
  accepted: number;
  failed: number;
  /** Answers of 4xx (try again later), each followed by a retry. */
  deferred: number;
  firstError?: string;
  /** performance.now() when the last one was answered 250. */
  lastAcceptedAt?: number;
}

// A real MTA retries a 4xx answer minutes later; here a second is enough to see whether it passes.
const RETRY_MS = 1000;
const TRIES = 6;

/**
 * Hands `reports` to an SMTP server from the null sender, `connections` at a time over pooled
 * connections with Nagle off (as an MTA's queue runner would; with Nagle on, each message would
 * wait ~40 ms for a delayed ACK and the sender, not the server, would set the pace). A report
 * answered 4xx is tried again, as an MTA would.
 */
export async function handOver(
  port: number,
  reports: Array<{ to: string; raw: Buffer }>,
  connections: number,
): Promise<HandOver> {
  const transport = createTransport({
    pool: true,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    maxConnections: connections,
    maxMessages: Infinity,
    logger: false,
    getSocket: (
      options: { host: string; port: number },
      callback: (err: Error | null, socketOptions?: { connection: Socket }) => void,
    ) => {
      const failed = (err: Error) => callback(err);
      const socket = connect(options.port, options.host, () => {
        socket.off('error', failed);
        socket.setNoDelay(true);
        callback(null, { connection: socket });
      });
      socket.once('error', failed);
    },
  } as SMTPPool.Options);
  transport.on('error', () => undefined);
  const result: HandOver = { accepted: 0, failed: 0, deferred: 0 };
  const send = async (to: string, raw: Buffer) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.sendMail({ envelope: { from: '', to: [to] }, raw });
        result.accepted++;
        result.lastAcceptedAt = nowMs();
        return;
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode ?? 0;
        result.firstError ??= (err as Error).message;
        if (code < 400 || code >= 500 || attempt >= TRIES) {
          result.failed++;
          return;
        }
        result.deferred++;
        await sleep(RETRY_MS);
      }
    }
  };
  try {
    await Promise.all(reports.map(({ to, raw }) => send(to, raw)));
  } finally {
    transport.close();
  }
  return result;
}
