import {
  classifyRecipientRejection,
  classifySmtpError,
  parseEnhancedStatus,
  SmtpError,
  summarizeReply,
  type SmtpErrorCode,
  type SmtpErrorContext,
} from './smtp-errors';

// Shapes nodemailer produces (see SMTPConnection._formatError): code, command, response, responseCode.
function nodemailerError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

const authError = (response: string) =>
  nodemailerError(`Invalid login: ${response}`, {
    code: 'EAUTH',
    command: 'AUTH PLAIN',
    response,
    responseCode: Number(response.slice(0, 3)),
  });

describe(classifySmtpError.name, () => {
  const ctx: SmtpErrorContext = { host: 'smtp.example.com', port: 587, security: 'tls' };

  it.each<[string, Error, SmtpErrorContext, SmtpErrorCode, boolean]>([
    [
      'connection refused',
      nodemailerError('connect ECONNREFUSED 203.0.113.5:587', { code: 'ESOCKET', command: 'CONN' }),
      ctx,
      'SMTP_CONNECTION_FAILED',
      false,
    ],
    [
      'raw ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ctx,
      'SMTP_CONNECTION_FAILED',
      false,
    ],
    [
      'host unreachable',
      nodemailerError('connect EHOSTUNREACH 203.0.113.5:587', { code: 'ESOCKET', command: 'CONN' }),
      ctx,
      'SMTP_CONNECTION_FAILED',
      false,
    ],
    [
      'connection reset',
      nodemailerError('read ECONNRESET', { code: 'ESOCKET', command: 'CONN' }),
      ctx,
      'SMTP_CONNECTION_FAILED',
      false,
    ],
    [
      'closed unexpectedly',
      nodemailerError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }),
      ctx,
      'SMTP_CONNECTION_FAILED',
      false,
    ],
    ['pool closed', new Error('Connection pool was closed'), ctx, 'SMTP_CONNECTION_FAILED', false],
    [
      'connect timeout',
      nodemailerError('Connection timeout', { code: 'ETIMEDOUT', command: 'CONN' }),
      ctx,
      'SMTP_TIMEOUT',
      false,
    ],
    [
      'idle timeout',
      nodemailerError('Timeout', { code: 'ETIMEDOUT', command: 'CONN' }),
      ctx,
      'SMTP_TIMEOUT',
      false,
    ],
    [
      'greeting timeout on 587',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      ctx,
      'SMTP_TIMEOUT',
      false,
    ],
    [
      'greeting timeout on 465 with tls',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { ...ctx, port: 465 },
      'SMTP_TLS_MISMATCH',
      true,
    ],
    [
      'greeting timeout, implicit TLS detected',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { ...ctx, port: 2465, security: 'none', implicitTlsDetected: true },
      'SMTP_TLS_MISMATCH',
      true,
    ],
    [
      'greeting timeout on 465, probe says plaintext',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { ...ctx, port: 465, implicitTlsDetected: false },
      'SMTP_TIMEOUT',
      false,
    ],
    [
      'greeting timeout with SSL chosen',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { ...ctx, port: 465, security: 'ssl' },
      'SMTP_TIMEOUT',
      false,
    ],
    [
      'DNS not found',
      nodemailerError('getaddrinfo ENOTFOUND smtp.example.com', { code: 'EDNS', command: 'CONN' }),
      ctx,
      'SMTP_DNS_FAILED',
      false,
    ],
    [
      'DNS temporary',
      nodemailerError('getaddrinfo EAI_AGAIN smtp.example.com', { code: 'EDNS', command: 'CONN' }),
      ctx,
      'SMTP_DNS_FAILED',
      false,
    ],
    [
      'SSL against STARTTLS port',
      nodemailerError('C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', {
        code: 'ESOCKET',
        reason: 'wrong version number',
        command: 'CONN',
      }),
      { ...ctx, security: 'ssl' },
      'SMTP_TLS_MISMATCH',
      true,
    ],
    [
      'packet length too long',
      nodemailerError('error:0A0000C6:SSL routines:ssl3_get_record:packet length too long', {
        code: 'ESOCKET',
        command: 'CONN',
      }),
      { ...ctx, security: 'ssl' },
      'SMTP_TLS_MISMATCH',
      true,
    ],
    [
      'no TLS answer with TLS chosen',
      nodemailerError('C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', {
        code: 'ESOCKET',
        command: 'CONN',
      }),
      ctx,
      'SMTP_TLS_FAILED',
      true,
    ],
    [
      'self-signed certificate',
      nodemailerError('self-signed certificate', { code: 'ESOCKET', command: 'CONN' }),
      ctx,
      'SMTP_CERTIFICATE_INVALID',
      true,
    ],
    [
      'raw DEPTH_ZERO_SELF_SIGNED_CERT',
      Object.assign(new Error('self signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      ctx,
      'SMTP_CERTIFICATE_INVALID',
      true,
    ],
    [
      'unknown issuer',
      Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
      ctx,
      'SMTP_CERTIFICATE_INVALID',
      true,
    ],
    [
      'expired',
      nodemailerError('certificate has expired', { code: 'ESOCKET', command: 'CONN' }),
      ctx,
      'SMTP_CERTIFICATE_INVALID',
      true,
    ],
    [
      'wrong name',
      nodemailerError(
        "Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:other.example",
        { code: 'ESOCKET', command: 'CONN' },
      ),
      ctx,
      'SMTP_CERTIFICATE_INVALID',
      true,
    ],
    [
      'old TLS only',
      nodemailerError('error:0A000102:SSL routines::unsupported protocol', {
        code: 'ESOCKET',
        command: 'CONN',
      }),
      ctx,
      'SMTP_TLS_FAILED',
      true,
    ],
    [
      'STARTTLS refused',
      nodemailerError('Error upgrading connection with STARTTLS', {
        code: 'ETLS',
        command: 'STARTTLS',
        response: '502 5.5.1 Command not implemented',
        responseCode: 502,
      }),
      ctx,
      'SMTP_STARTTLS_UNAVAILABLE',
      true,
    ],
    [
      'STARTTLS temporarily refused',
      nodemailerError('Error upgrading connection with STARTTLS', {
        code: 'ETLS',
        command: 'STARTTLS',
        response: '454 4.7.0 TLS not available',
        responseCode: 454,
      }),
      ctx,
      'SMTP_TEMPORARY_FAILURE',
      false,
    ],
    [
      'STARTTLS handshake failed',
      nodemailerError('Error upgrading connection with STARTTLS', {
        code: 'ETLS',
        command: 'STARTTLS',
      }),
      ctx,
      'SMTP_TLS_FAILED',
      false,
    ],
    [
      '535 generic',
      authError('535 5.7.8 Authentication credentials invalid'),
      ctx,
      'SMTP_AUTH_FAILED',
      true,
    ],
    [
      '454 temporary auth',
      authError('454 4.7.0 Temporary authentication failure'),
      ctx,
      'SMTP_AUTH_TEMPORARY_FAILURE',
      false,
    ],
    [
      '538 encryption first',
      authError('538 5.7.0 Must issue a STARTTLS command first'),
      { ...ctx, security: 'none' },
      'SMTP_ENCRYPTION_REQUIRED',
      true,
    ],
    [
      '530 STARTTLS first (Gmail on plaintext)',
      authError('530 5.7.0 Must issue a STARTTLS command first. - gsmtp'),
      { ...ctx, security: 'none' },
      'SMTP_ENCRYPTION_REQUIRED',
      true,
    ],
    [
      '504 unknown mechanism',
      authError('504 5.5.4 Unrecognized authentication type'),
      ctx,
      'SMTP_AUTH_UNSUPPORTED',
      true,
    ],
    [
      'missing credentials',
      nodemailerError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' }),
      ctx,
      'SMTP_SETTINGS_INVALID',
      true,
    ],
    [
      '530 at MAIL FROM',
      nodemailerError('Mail command failed', {
        code: 'EENVELOPE',
        command: 'MAIL FROM',
        response: '530 5.7.0 Authentication required',
        responseCode: 530,
      }),
      ctx,
      'SMTP_AUTH_REQUIRED',
      true,
    ],
    [
      'sender refused',
      nodemailerError('Mail command failed', {
        code: 'EENVELOPE',
        command: 'MAIL FROM',
        response: '553 5.7.1 Sender address rejected: not owned by user',
        responseCode: 553,
      }),
      ctx,
      'SMTP_SENDER_REJECTED',
      true,
    ],
    [
      'greylisted at MAIL FROM',
      nodemailerError('Mail command failed', {
        code: 'EENVELOPE',
        command: 'MAIL FROM',
        response: '451 4.7.1 Try again later',
        responseCode: 451,
      }),
      ctx,
      'SMTP_TEMPORARY_FAILURE',
      false,
    ],
    [
      'message refused as spam',
      nodemailerError('Message failed', {
        code: 'EMESSAGE',
        command: 'DATA',
        response: '554 5.7.1 Message rejected as spam',
        responseCode: 554,
      }),
      ctx,
      'SMTP_MESSAGE_REJECTED',
      true,
    ],
    [
      'message too large (reply)',
      nodemailerError('Message failed', {
        code: 'EMESSAGE',
        command: 'DATA',
        response: '552 5.3.4 Message size exceeds fixed limit',
        responseCode: 552,
      }),
      ctx,
      'SMTP_MESSAGE_TOO_LARGE',
      true,
    ],
    [
      'message too large (SIZE)',
      nodemailerError('Message size larger than allowed 1000', {
        code: 'EMESSAGE',
        command: 'MAIL FROM',
      }),
      ctx,
      'SMTP_MESSAGE_TOO_LARGE',
      true,
    ],
    [
      '421 at greeting',
      nodemailerError('Invalid greeting', {
        code: 'EPROTOCOL',
        command: 'CONN',
        response: '421 4.3.2 Service not available',
        responseCode: 421,
      }),
      ctx,
      'SMTP_TEMPORARY_FAILURE',
      false,
    ],
    [
      '554 at greeting',
      nodemailerError('Invalid greeting', {
        code: 'EPROTOCOL',
        command: 'CONN',
        response: '554 5.7.1 Your IP is listed',
        responseCode: 554,
      }),
      ctx,
      'SMTP_CONNECTION_REJECTED',
      true,
    ],
    [
      'not an SMTP server',
      nodemailerError('Unexpected Response', {
        code: 'EPROTOCOL',
        command: 'CONN',
        response: 'SSH-2.0-OpenSSH_9.6',
      }),
      ctx,
      'SMTP_PROTOCOL_ERROR',
      true,
    ],
    ['something else', new Error('weird'), ctx, 'SMTP_ERROR', false],
  ])('classifies %s', (_what, err, context, code, permanent) => {
    const classified = classifySmtpError(err, context);
    expect(classified).toBeInstanceOf(SmtpError);
    expect(classified.code).toBe(code);
    expect(classified.permanent).toBe(permanent);
    expect(classified.message.length).toBeGreaterThan(20);
  });

  // Branches that share a code but not a message; the order of the checks decides which applies.
  it.each<[string, unknown, SmtpErrorContext, string]>([
    [
      'DNS name not found',
      nodemailerError('getaddrinfo ENOTFOUND smtp.example.com', { code: 'EDNS', command: 'CONN' }),
      ctx,
      'The host name smtp.example.com was not found in DNS.',
    ],
    [
      'DNS lookup failing for now',
      nodemailerError('getaddrinfo EAI_AGAIN smtp.example.com', { code: 'EDNS', command: 'CONN' }),
      { ...ctx, phase: 'verify' },
      'Looking up smtp.example.com in DNS failed for now; try again in a few minutes.',
    ],
    [
      'no greeting',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { ...ctx, greetingTimeoutMs: 2500 },
      'Connected to smtp.example.com:587, but the server sent no greeting within 2.5 s.',
    ],
    [
      'no greeting with SSL chosen',
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT' }),
      { ...ctx, port: 465, security: 'ssl' },
      'The server at smtp.example.com:465 stopped answering; it will be tried again.',
    ],
    [
      'connect timeout',
      nodemailerError('Connection timeout', { code: 'ETIMEDOUT' }),
      ctx,
      'Could not connect to smtp.example.com:587 in time.',
    ],
    [
      'refused and unreachable at once',
      nodemailerError('connect ECONNREFUSED, then EHOSTUNREACH', { code: 'ESOCKET' }),
      ctx,
      'Nothing accepted the connection at smtp.example.com:587 (connection refused).',
    ],
    [
      'host unreachable',
      nodemailerError('connect ENETUNREACH 203.0.113.5:587', { code: 'ESOCKET' }),
      ctx,
      'The host smtp.example.com:587 cannot be reached from here.',
    ],
    [
      'connection lost',
      nodemailerError('read ECONNRESET', { code: 'ESOCKET' }),
      ctx,
      'The connection to smtp.example.com:587 was lost (read ECONNRESET); it will be tried again.',
    ],
    [
      'connection lost without a message',
      { code: 'ECONNECTION' },
      { host: 'smtp.example.com' },
      'The connection to smtp.example.com was lost (ECONNECTION)',
    ],
    [
      'no TLS answer with the security unset',
      nodemailerError('wrong version number', { code: 'ESOCKET' }),
      { port: 587 },
      'Port 587 speaks STARTTLS (or plaintext), not SSL',
    ],
    [
      'no TLS answer with TLS chosen',
      nodemailerError('wrong version number', { code: 'ESOCKET' }),
      ctx,
      'The TLS handshake with smtp.example.com:587 failed: the server did not answer in TLS.',
    ],
    [
      'recipient refused, no per-recipient list',
      nodemailerError("Can't send mail - all recipients were rejected", {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        response: '550 5.1.1 Recipient address rejected',
        responseCode: 550,
        rejectedErrors: [],
      }),
      ctx,
      'The server refused the recipient (550 5.1.1).',
    ],
    ['a thrown string', 'boom', {}, 'Sending through the SMTP server failed: boom.'],
  ])('says what happened: %s', (_what, err, context, message) => {
    expect(classifySmtpError(err, context).message).toContain(message);
  });

  it('returns an SmtpError unchanged', () => {
    const err = new SmtpError('SMTP_TIMEOUT', 'x', { permanent: false });
    expect(classifySmtpError(err)).toBe(err);
  });

  it('names the right choice for SSL on a STARTTLS port', () => {
    const err = classifySmtpError(nodemailerError('...wrong version number', { code: 'ESOCKET' }), {
      port: 587,
      security: 'ssl',
    });
    expect(err.message).toBe(
      'Port 587 speaks STARTTLS (or plaintext), not SSL: choose TLS (STARTTLS) for port 587, or use port 465 with SSL.',
    );
  });

  it('names the right choice for plaintext on the SSL port', () => {
    const err = classifySmtpError(
      nodemailerError('Greeting never received', { code: 'ETIMEDOUT', command: 'CONN' }),
      { port: 465, security: 'none' },
    );
    expect(err.message).toContain('Port 465 expects SSL');
    expect(err.message).toContain('Choose SSL for port 465');
  });

  it('gives the Gmail App Password hint for 534 5.7.9', () => {
    const err = classifySmtpError(
      authError(
        '534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2-20020a05 - gsmtp',
      ),
      { host: 'smtp.gmail.com', port: 587, security: 'tls' },
    );
    expect(err.code).toBe('SMTP_APP_PASSWORD_REQUIRED');
    expect(err.message).toContain('Connect with Google instead');
    expect(err.enhancedStatus).toBe('5.7.9');
    expect(err.responseCode).toBe(534);
    expect(err.integrationFailing).toBe(true);
    expect(err.message).toContain('App Password');
    expect(err.message).toContain('2-Step Verification to be on');
  });

  it('points Gmail credential errors at an App Password too', () => {
    const err = classifySmtpError(
      authError(
        '535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp',
      ),
      {
        host: 'smtp.gmail.com',
      },
    );
    expect(err.message).toContain('App Password');
  });

  it.each([
    [
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
      'SMTP_AUTH_DISABLED_FOR_MAILBOX',
      /administrator must turn on Authenticated SMTP/,
    ],
    [
      '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.',
      'SMTP_AUTH_DISABLED_FOR_MAILBOX',
      /connect with Microsoft \(OAuth\)/,
    ],
    [
      '550 5.7.30 Basic authentication is not supported for Client Submission.',
      'SMTP_BASIC_AUTH_DISABLED',
      /Connect with Microsoft instead: OAuth 2.0 sign-in/,
    ],
  ])('explains Microsoft basic-auth refusals: %s', (response, code, advice) => {
    for (const host of ['smtp.office365.com', 'mail.example.com']) {
      const err = classifySmtpError(authError(response), { host, port: 587, security: 'tls' });
      expect(err.code).toBe(code);
      expect(err.permanent).toBe(true);
      expect(err.integrationFailing).toBe(true);
      expect(err.message).toMatch(advice);
    }
  });

  it('says the same when Microsoft refuses the sender after the login', () => {
    const err = classifySmtpError(
      nodemailerError('Mail command failed', {
        code: 'EENVELOPE',
        command: 'MAIL FROM',
        response: '550 5.7.30 Basic authentication is not supported for Client Submission.',
      }),
      { host: 'smtp.office365.com' },
    );
    expect(err.code).toBe('SMTP_BASIC_AUTH_DISABLED');
  });

  it('decodes a refused XOAUTH2 login: the server JSON, and that a new token did not help', () => {
    const err = classifySmtpError(
      Object.assign(
        new Error('XOAUTH2 login refused: 535 5.7.8 Username and Password not accepted'),
        {
          code: 'EAUTH',
          command: 'AUTH XOAUTH2',
          response: '535-5.7.8 Username and Password not accepted. - gsmtp',
          xoauth2: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' },
        },
      ),
      { host: 'smtp.gmail.com', port: 465, security: 'ssl' },
    );
    expect(err.code).toBe('SMTP_XOAUTH2_REFUSED');
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('status 401, scope https://mail.google.com/, schemes bearer');
    expect(err.message).toContain('Connect the account again with Google');
  });

  it('takes a 4xx to an XOAUTH2 login as temporary', () => {
    const err = classifySmtpError(
      Object.assign(new Error('XOAUTH2 login refused'), {
        code: 'EAUTH',
        command: 'AUTH XOAUTH2',
        response: '454 4.7.0 Temporary authentication failure',
        xoauth2: null,
      }),
      { host: 'smtp.office365.com' },
    );
    expect(err.code).toBe('SMTP_XOAUTH2_REFUSED');
    expect(err.permanent).toBe(false);
  });

  it('never advises weakening account security', () => {
    const responses = [
      '534-5.7.9 Application-specific password required. - gsmtp',
      '534-5.7.14 <https://accounts.google.com/signin/continue> Please log in via your web browser and then try again. - gsmtp',
      '535-5.7.8 Username and Password not accepted. - gsmtp',
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      '535 5.7.3 Authentication unsuccessful',
      '535 5.7.8 Error: authentication failed',
    ];
    for (const host of ['smtp.gmail.com', 'smtp.office365.com', 'mail.example.com']) {
      for (const response of responses) {
        const message = classifySmtpError(authError(response), { host }).message;
        expect(message).not.toMatch(
          /less secure|turn off 2|disable 2|2-Step Verification (off|disabled)/i,
        );
      }
    }
  });

  it('keeps the password out of the message and the server reply', () => {
    const password = 'S3cr3t-Pa55!';
    const plainBlob = Buffer.from(`\u0000user@example.com\u0000${password}`).toString('base64');
    const err = classifySmtpError(
      authError(`535 5.7.8 Cannot decode ${plainBlob} for ${password}`),
      { secrets: [password] },
    );
    const everything = JSON.stringify(err) + err.message + err.stack;
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(plainBlob);
    expect(everything).not.toContain(Buffer.from(password).toString('base64'));
  });

  it('marks auth failures as failing the integration, and network errors not', () => {
    expect(classifySmtpError(authError('535 5.7.8 Bad credentials')).integrationFailing).toBe(true);
    expect(
      classifySmtpError(nodemailerError('connect ECONNREFUSED', { code: 'ESOCKET' }))
        .integrationFailing,
    ).toBe(false);
  });

  it('reports every refused recipient when all were refused', () => {
    const err = classifySmtpError(
      nodemailerError("Can't send mail - all recipients were rejected", {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        response: '550 5.1.1 <gone@example.com>: Recipient address rejected',
        responseCode: 550,
        rejectedErrors: [
          {
            recipient: 'gone@example.com',
            response: '550 5.1.1 <gone@example.com>: Recipient address rejected',
            responseCode: 550,
          },
          { recipient: 'full@example.com', response: '452 4.2.2 Mailbox full', responseCode: 452 },
        ],
      }),
    );
    expect(err.code).toBe('SMTP_RECIPIENT_REJECTED');
    // One refusal is temporary, so the whole message may be retried.
    expect(err.permanent).toBe(false);
    expect(err.rejected).toEqual([
      expect.objectContaining({
        address: 'gone@example.com',
        code: 'SMTP_RECIPIENT_UNKNOWN',
        suppress: true,
        permanent: true,
      }),
      expect.objectContaining({
        address: 'full@example.com',
        code: 'SMTP_RECIPIENT_TEMPORARY',
        suppress: false,
        permanent: false,
      }),
    ]);
  });
});

describe(classifyRecipientRejection.name, () => {
  it.each([
    ['550 5.1.1 No such user', 'SMTP_RECIPIENT_UNKNOWN', true, true],
    ['550 5.1.2 Bad destination domain', 'SMTP_RECIPIENT_UNKNOWN', true, true],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound', 'SMTP_RECIPIENT_UNKNOWN', true, true],
    ['550 User unknown', 'SMTP_RECIPIENT_UNKNOWN', true, true],
    ['554 5.7.1 User does not exist here', 'SMTP_RECIPIENT_POLICY', true, false],
    ['452 4.2.2 Mailbox full, try later', 'SMTP_RECIPIENT_TEMPORARY', false, false],
    ['450 4.1.1 Recipient verification pending', 'SMTP_RECIPIENT_TEMPORARY', false, false],
    ['552 5.2.2 Mailbox full', 'SMTP_RECIPIENT_MAILBOX_FULL', true, false],
    ['554 5.7.1 Relay access denied', 'SMTP_RECIPIENT_POLICY', true, false],
    ['550 Rejected', 'SMTP_RECIPIENT_REJECTED', true, false],
    // About the sender, whichever command the server answered: never a reason to suppress.
    [
      '550 5.1.8 <a@nowhere.test>: Sender address rejected: Domain not found',
      'SMTP_SENDER_REJECTED',
      true,
      false,
    ],
    ['550 5.1.7 Bad sender mailbox address syntax', 'SMTP_SENDER_REJECTED', true, false],
    [
      '553 5.7.1 <a@acme.test>: Sender address rejected: not owned by user mailer',
      'SMTP_SENDER_REJECTED',
      true,
      false,
    ],
    [
      '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      'SMTP_SENDER_REJECTED',
      true,
      false,
    ],
    [
      '504 5.5.2 <a>: Sender address rejected: need fully-qualified address',
      'SMTP_SENDER_REJECTED',
      true,
      false,
    ],
    [
      '450 4.1.8 <a@nowhere.test>: Sender address rejected: Domain not found',
      'SMTP_RECIPIENT_TEMPORARY',
      false,
      false,
    ],
  ])('classifies %j', (response, code, permanent, suppress) => {
    const rejection = classifyRecipientRejection({
      recipient: 'x@example.com',
      response,
      responseCode: Number(response.slice(0, 3)),
    });
    expect(rejection).toMatchObject({ address: 'x@example.com', code, permanent, suppress });
  });
});

describe('sender-side refusals', () => {
  const rcpt = (response: string) => ({
    recipient: 'ana@example.com',
    response,
    responseCode: Number(response.slice(0, 3)),
  });
  // What nodemailer throws when the only recipient was refused at RCPT time.
  const allRecipientsRefused = (response: string) =>
    nodemailerError("Can't send mail - all recipients were rejected", {
      code: 'EENVELOPE',
      command: 'RCPT TO',
      response,
      responseCode: Number(response.slice(0, 3)),
      rejectedErrors: [rcpt(response)],
    });
  // A single refused command, as a verification reports it.
  const refused = (command: string, response: string) =>
    nodemailerError('Command failed', {
      code: 'EENVELOPE',
      command,
      response,
      responseCode: Number(response.slice(0, 3)),
    });
  const ctx: SmtpErrorContext = { host: 'smtp.example.com', port: 25, security: 'none' };

  it.each([
    '550 5.1.8 <rewards@acme.test>: Sender address rejected: Domain not found',
    '550 5.1.7 <rewards>: Bad sender mailbox address syntax',
    '553 5.7.1 <rewards@acme.test>: Sender address rejected: not owned by user mailer',
  ])('marks the integration failing and leaves the recipient alone at RCPT: %s', (response) => {
    const rejection = classifyRecipientRejection(rcpt(response));
    expect(rejection).toMatchObject({
      code: 'SMTP_SENDER_REJECTED',
      permanent: true,
      suppress: false,
      integrationFailing: true,
    });
    const err = classifySmtpError(allRecipientsRefused(response), ctx);
    expect(err).toMatchObject({
      code: 'SMTP_SENDER_REJECTED',
      permanent: true,
      integrationFailing: true,
    });
    expect(err.rejected).toEqual([expect.objectContaining({ suppress: false })]);
    expect(err.message).toContain('The server refused the From address');
  });

  it('still suppresses an unknown recipient and leaves the integration alone', () => {
    const rejection = classifyRecipientRejection(rcpt('550 5.1.1 <ana@example.com>: User unknown'));
    expect(rejection).toMatchObject({ code: 'SMTP_RECIPIENT_UNKNOWN', suppress: true });
    expect(rejection.integrationFailing).toBeUndefined();
    const err = classifySmtpError(
      allRecipientsRefused('550 5.1.1 <ana@example.com>: User unknown'),
      ctx,
    );
    expect(err).toMatchObject({ code: 'SMTP_RECIPIENT_REJECTED', integrationFailing: false });
  });

  it.each([
    '550 5.1.8 <rewards@acme.test>: Sender address rejected: Domain not found',
    '550 5.1.7 Invalid sender address',
    '553 5.7.1 <rewards@acme.test>: Sender address rejected: not owned by user mailer',
  ])('marks the integration failing for a refused MAIL FROM: %s', (response) => {
    expect(classifySmtpError(refused('MAIL FROM', response), ctx)).toMatchObject({
      code: 'SMTP_SENDER_REJECTED',
      permanent: true,
      integrationFailing: true,
    });
  });

  it('says to choose tls when the server wants STARTTLS before mail', () => {
    const err = classifySmtpError(
      refused('MAIL FROM', '530 5.7.0 Must issue a STARTTLS command first'),
      ctx,
    );
    expect(err).toMatchObject({
      code: 'SMTP_STARTTLS_REQUIRED',
      permanent: true,
      integrationFailing: true,
      responseCode: 530,
      enhancedStatus: '5.7.0',
    });
    expect(err.message).toBe(
      'The server at smtp.example.com:25 accepts mail only over an encrypted connection (530 5.7.0). Choose "tls" (STARTTLS), usually on port 587, or "ssl" on port 465.',
    );
  });

  it.each([
    '554 5.7.1 <postmaster@example.com>: Relay access denied',
    '550 5.7.1 Unable to relay',
    "553 sorry, that domain isn't in my list of allowed rcpthosts",
    '550 5.7.1 <x@example.com>... Relaying denied',
    '550 relay not permitted',
  ])('says to log in or use the submission port when relaying is denied: %s', (response) => {
    const err = classifySmtpError(refused('RCPT TO', response), ctx);
    expect(err).toMatchObject({
      code: 'SMTP_RELAY_DENIED',
      permanent: true,
      integrationFailing: true,
    });
    expect(err.message).toContain('The server will not relay mail for this login, or without one');
    expect(err.message).toContain('Enter the username and password');
    expect(err.message).toContain('submission port 587');
  });

  it('keeps an unknown recipient in a relay table a recipient refusal', () => {
    expect(
      classifySmtpError(
        refused(
          'RCPT TO',
          '550 5.1.1 <x@acme.test>: Recipient address rejected: User unknown in relay recipient table',
        ),
        ctx,
      ).code,
    ).toBe('SMTP_RECIPIENT_REJECTED');
  });

  it('reads a sender refusal at RCPT as the sender in a single refused command too', () => {
    expect(
      classifySmtpError(
        refused('RCPT TO', '550 5.1.8 <x@nowhere.test>: Sender address rejected: Domain not found'),
        ctx,
      ),
    ).toMatchObject({ code: 'SMTP_SENDER_REJECTED', integrationFailing: true });
  });

  it('keeps a login demand at MAIL FROM as SMTP_AUTH_REQUIRED', () => {
    expect(
      classifySmtpError(refused('MAIL FROM', '530 5.7.0 Authentication required'), ctx).code,
    ).toBe('SMTP_AUTH_REQUIRED');
  });
});

describe('reply helpers', () => {
  it('reads the enhanced status of a multi-line reply', () => {
    expect(
      parseEnhancedStatus('534-5.7.9 Application-specific password required.\n534 5.7.9 more'),
    ).toBe('5.7.9');
    expect(parseEnhancedStatus('535 Authentication failed')).toBeUndefined();
  });

  it('joins a multi-line reply and drops the repeated prefixes', () => {
    expect(
      summarizeReply('535-5.7.8 Username and Password not accepted.\n535 5.7.8 Learn more - gsmtp'),
    ).toBe('535-5.7.8 Username and Password not accepted. Learn more - gsmtp');
  });
});
