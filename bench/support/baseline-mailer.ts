import { connect, type Socket } from 'node:net';
import { createTransport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

// The pipeline baseline, in its own process like the service: raw nodemailer with a pool the
// size of the service's, sending pre-rendered messages as fast as the pool takes them.

export interface MailerJob {
  port: number;
  count: number;
  maxConnections: number;
  maxMessages: number;
  /** Hand nodemailer sockets with Nagle's algorithm off (it sets no TCP_NODELAY itself). */
  noDelay: boolean;
  message: { from: string; subject: string; html: string; text: string };
}

export type MailerReport = { sent: number; failed: number; firstError?: string };

function send(msg: object): void {
  process.send?.(msg);
}

process.once('message', (job: MailerJob) => {
  const transport = createTransport({
    pool: true,
    host: '127.0.0.1',
    port: job.port,
    secure: false,
    ignoreTLS: true,
    maxConnections: job.maxConnections,
    maxMessages: job.maxMessages,
    logger: false,
    ...(job.noDelay
      ? {
          // nodemailer uses a socket handed over as `connection` as is (no other key is honoured),
          // so connect it here and turn Nagle off first.
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
        }
      : {}),
  } as SMTPPool.Options);
  transport.on('error', () => undefined);
  send({ ready: true });
  process.once('message', () => {
    let sent = 0;
    let failed = 0;
    let firstError: string | undefined;
    const all = Array.from({ length: job.count }, (_, i) =>
      transport.sendMail({ ...job.message, to: `baseline-${i}@bench.example` }).then(
        () => void sent++,
        (err: Error) => {
          failed++;
          firstError ??= err.message;
        },
      ),
    );
    void Promise.all(all).then(() => {
      transport.close();
      send({ sent, failed, firstError } satisfies MailerReport);
    });
  });
});
