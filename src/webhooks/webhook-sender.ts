import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedWebhookUrl } from './webhook-url';

/** What one POST to a receiver came to. */
export interface WebhookResponse {
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  durationMs: number;
}

const EXCERPT_BYTES = 1024;

/**
 * POSTs a signed body to the checked address of the URL (its name still used for the Host
 * header, SNI and the certificate), and reads at most the first kilobyte of the answer.
 */
export function postWebhook(
  target: CheckedWebhookUrl,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const started = Date.now();
  // Connect to the address that was checked, whatever DNS says now.
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  }) as unknown as LookupFunction;
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<WebhookResponse, 'durationMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: Date.now() - started });
    };
    const req = client.request(
      target.url,
      {
        method: 'POST',
        lookup,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'referral-notifications-webhooks/1',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const end = () =>
          finish({
            statusCode: res.statusCode ?? null,
            responseExcerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8'),
            error: null,
          });
        res.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          // The rest of a long answer is not needed.
          if (size >= EXCERPT_BYTES) {
            end();
            res.destroy();
          }
        });
        res.on('end', end);
        res.on('error', end);
      },
    );
    // One deadline for the whole exchange: connection, request and answer.
    const timer = setTimeout(() => {
      finish({
        statusCode: null,
        responseExcerpt: null,
        error: `no answer within ${timeoutMs} ms`,
      });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({
        statusCode: null,
        responseExcerpt: null,
        error: `${err.code ? `${err.code}: ` : ''}${err.message}`.slice(0, 500),
      }),
    );
    req.end(body);
  });
}
