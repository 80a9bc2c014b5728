/** What a report names of the message it is about: our id and its Message-ID header. */
export interface ReportedMessage {
  id: string;
  messageId: string | null;
}

/** An RFC 3464 report, as a receiving MTA writes one. */
export function dsn(
  to: string,
  recipient: string,
  status: string,
  original: ReportedMessage,
  diagnostic = '550 5.1.1 User unknown',
) {
  return [
    'From: MAILER-DAEMON@mx.example.org',
    `To: ${to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <dsn-${original.id}-${status}@mx.example.org>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    '',
    '--B',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--B',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Action: ${status.startsWith('5') ? 'failed' : 'delayed'}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    '--B',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${original.messageId}`,
    `X-Entity-Ref-ID: ${original.id}`,
    `To: ${recipient}`,
    '',
    '--B--',
    '',
  ].join('\r\n');
}

/** An RFC 5965 abuse report. */
export function arf(to: string, recipient: string, original: ReportedMessage) {
  return [
    'From: fbl@isp.example',
    `To: ${to}`,
    'Subject: FW: Abuse report',
    `Message-ID: <arf-${original.id}@isp.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    '--F',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '--F',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: <${recipient}>`,
    '',
    '--F',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${original.messageId}`,
    `X-Entity-Ref-ID: ${original.id}`,
    `To: ${recipient}`,
    '',
    '--F--',
    '',
  ].join('\r\n');
}
