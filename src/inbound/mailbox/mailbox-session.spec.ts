import { ImapError } from '../../transports/imap/imap-client';
import { MailboxFolderError, mailboxProblem } from './mailbox-imap';
import { retryDelay } from './mailbox-session';

describe('retryDelay', () => {
  it('starts at the poll, doubles after each failure, and stops at an hour', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 60_000))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
    expect(retryDelay(7, 60_000)).toBe(3_600_000);
    expect(retryDelay(10_000, 60_000)).toBe(3_600_000);
  });
});

describe('mailboxProblem', () => {
  const settings = { host: 'imap.acme.test', port: 993, security: 'ssl' as const };

  it('says a refused login is the mailbox’s own, and that only a person can fix it', () => {
    const problem = mailboxProblem({ authenticationFailed: true }, settings);
    expect(problem).toMatchObject({ code: 'IMAP_AUTH_FAILED', permanent: true });
    expect(problem.message).toContain('imap.acme.test:993');
    expect(problem.message).not.toMatch(/Sent/);
  });

  it('keeps the codes of the shared IMAP errors and of a missing folder', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mailboxProblem(refused, settings)).toMatchObject({
      code: 'IMAP_CONNECTION_FAILED',
      permanent: false,
    });
    const guard = new ImapError('IMAP_HOST_NOT_ALLOWED', 'not allowed', true);
    expect(mailboxProblem(guard, settings)).toMatchObject({ code: 'IMAP_HOST_NOT_ALLOWED' });
    expect(
      mailboxProblem(new MailboxFolderError('Bounces', 'imap.acme.test'), settings),
    ).toMatchObject({ code: 'IMAP_FOLDER_NOT_FOUND', permanent: true });
  });
});
