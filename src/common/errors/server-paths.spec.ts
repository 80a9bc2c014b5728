import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutServerPaths } from './server-paths';

describe('withoutServerPaths', () => {
  it.each([
    [
      "ENOSPC: no space left on device, open '/var/lib/referrals/outbox/p1/.m1.tmp'",
      'ENOSPC: no space left on device, open a file on the server',
    ],
    [
      `Cannot find module '${join(process.cwd(), 'dist', 'src', 'templates', 'template-worker.js')}'`,
      'Cannot find module a file on the server',
    ],
    [
      `Missing layout ${join(process.cwd(), 'templates', 'layouts', 'email.html.hbs')}`,
      'Missing layout a file on the server',
    ],
    [
      `EACCES at ${join(tmpdir(), 'rn-x', 'outbox')}; check it`,
      'EACCES at a file on the server; check it',
    ],
  ])('hides the path in %j', (text, shown) => {
    expect(withoutServerPaths(text)).toBe(shown);
  });

  it.each([
    'Set it with PATCH /v1/program.',
    'See https://example.com/help/smtp and POST /v1/messages/:id/retry',
    'SMTP login failed: 535 5.7.8 Authentication failed',
    `A link to https://example.com${tmpdir()}/page stays`,
  ])('leaves text that names no file alone: %j', (text) => {
    expect(withoutServerPaths(text)).toBe(text);
  });
});
