import { classifySmtpError } from './smtp-errors';

// Replies as the providers send them, through the one classifier every send uses.
describe('quota replies', () => {
  const reply = (response: string, command = 'DATA') => ({
    code: 'EMESSAGE',
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
    message: `Message failed: ${response}`,
  });

  it.each([
    [
      'Gmail daily limit',
      'smtp.gmail.com',
      reply(
        '550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 - gsmtp',
        'MAIL FROM',
      ),
      'day',
    ],
    [
      'Gmail daily quota, multi-line',
      'smtp.gmail.com',
      reply(
        '550-5.4.5 Daily user sending quota exceeded.\n550 5.4.5  https://support.google.com/mail/?p=ReachedLimit - gsmtp',
      ),
      'day',
    ],
    [
      'Microsoft submission quota',
      'smtp.office365.com',
      reply(
        '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.',
      ),
      'day',
    ],
    [
      'Microsoft WASCL verdict',
      'smtp.office365.com',
      reply(
        '554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a permanent exception with message WASCL UserAction verdict is not None. Actual verdict is RefuseQuota, ShowTierUpgrade.',
      ),
      'day',
    ],
    [
      'Microsoft 4.3.2 throttling',
      'smtp.office365.com',
      reply('432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', 'MAIL FROM'),
      'minute',
    ],
    [
      'Gmail 421 4.7.0',
      'smtp.gmail.com',
      reply('421 4.7.0 Try again later, closing connection. (MAIL) - gsmtp', 'MAIL FROM'),
      'minute',
    ],
    [
      'Gmail 4.7.28 rate limiting',
      'smtp.gmail.com',
      reply(
        '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. - gsmtp',
        'RCPT TO',
      ),
      'minute',
    ],
  ])('pauses the account on %s', (_, host, err, window) => {
    const e = classifySmtpError(err, { host, port: 587, security: 'tls' });
    expect(e.code).toBe('SMTP_QUOTA_EXCEEDED');
    expect(e.permanent).toBe(false);
    expect(e.integrationFailing).toBe(false);
    expect(e.quotaWindow).toBe(window);
    expect(e.message).toMatch(/paused/);
  });

  it('tells a person waiting on a connect or a test send to try again later', () => {
    const e = classifySmtpError(
      reply('550 5.4.5 Daily user sending limit exceeded - gsmtp', 'MAIL FROM'),
      {
        host: 'smtp.gmail.com',
        phase: 'verify',
      },
    );
    expect(e.code).toBe('SMTP_QUOTA_EXCEEDED');
    expect(e.message).toMatch(/try again once the account's daily limit has reset/);
    expect(e.message).not.toMatch(/paused/);
  });

  it('reads a quota reply that refused the recipient (Gmail may answer it at RCPT TO)', () => {
    const e = classifySmtpError(
      {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        message: "Can't send mail - all recipients were rejected",
        rejectedErrors: [
          {
            code: 'EENVELOPE',
            recipient: 'ana@example.com',
            responseCode: 550,
            response: '550 5.4.5 Daily user sending limit exceeded - gsmtp',
          },
        ],
      },
      { host: 'smtp.gmail.com' },
    );
    expect(e).toMatchObject({ code: 'SMTP_QUOTA_EXCEEDED', quotaWindow: 'day', permanent: false });
    expect(e.message).toContain('550 5.4.5');
  });

  it.each([
    ['a full mailbox', '552 5.2.2 The email account that you tried to reach is over quota'],
    [
      'a recipient receiving too fast',
      '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered',
    ],
    ['greylisting elsewhere', '421 4.7.0 Try again later'],
    ['another server going away', '432 4.3.2 System not accepting network messages'],
  ])('leaves %s alone', (_, response) => {
    const e = classifySmtpError(reply(response, 'RCPT TO'), { host: 'mail.example.com' });
    expect(e.code).not.toBe('SMTP_QUOTA_EXCEEDED');
  });
});
