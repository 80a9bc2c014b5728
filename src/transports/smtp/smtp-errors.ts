import { smtpQuotaReply, type QuotaWindow } from './quota-replies';
import type { SmtpSecurity } from './smtp-settings';
import { describeXOAuth2Failure, type XOAuth2Failure } from './xoauth2';

export type SmtpErrorCode =
  | 'SMTP_SETTINGS_INVALID'
  | 'SMTP_PLAINTEXT_AUTH_REFUSED'
  | 'SMTP_HOST_NOT_ALLOWED'
  | 'SMTP_DNS_FAILED'
  | 'SMTP_CONNECTION_FAILED'
  | 'SMTP_CONNECTION_REJECTED'
  | 'SMTP_TIMEOUT'
  | 'SMTP_TLS_MISMATCH'
  | 'SMTP_STARTTLS_UNAVAILABLE'
  | 'SMTP_CERTIFICATE_INVALID'
  | 'SMTP_TLS_FAILED'
  | 'SMTP_ENCRYPTION_REQUIRED'
  | 'SMTP_AUTH_FAILED'
  | 'SMTP_BASIC_AUTH_DISABLED'
  | 'SMTP_AUTH_DISABLED_FOR_MAILBOX'
  | 'SMTP_APP_PASSWORD_REQUIRED'
  | 'SMTP_XOAUTH2_REFUSED'
  | 'SMTP_AUTH_TEMPORARY_FAILURE'
  | 'SMTP_AUTH_UNSUPPORTED'
  | 'SMTP_AUTH_REQUIRED'
  | 'SMTP_STARTTLS_REQUIRED'
  | 'SMTP_RELAY_DENIED'
  | 'SMTP_SENDER_REJECTED'
  | 'SMTP_RECIPIENT_REJECTED'
  | 'SMTP_MESSAGE_REJECTED'
  | 'SMTP_MESSAGE_TOO_LARGE'
  | 'SMTP_TEMPORARY_FAILURE'
  | 'SMTP_QUOTA_EXCEEDED'
  | 'SMTP_PROTOCOL_ERROR'
  | 'SMTP_ERROR';

export type RecipientRejectionCode =
  | 'SMTP_RECIPIENT_UNKNOWN'
  | 'SMTP_RECIPIENT_MAILBOX_FULL'
  | 'SMTP_RECIPIENT_POLICY'
  | 'SMTP_RECIPIENT_TEMPORARY'
  | 'SMTP_RECIPIENT_REJECTED'
  | 'SMTP_SENDER_REJECTED';

/** One recipient the server refused while others may have been accepted. */
export interface RecipientRejection {
  address: string;
  code: RecipientRejectionCode;
  message: string;
  /** False for 4xx: sending to this address again later may work. */
  permanent: boolean;
  /** True for 5.1.x (no such mailbox or domain): stop sending to this address. */
  suppress: boolean;
  /** Set when the refusal is about the From address or the account, so every message would fail alike. */
  integrationFailing?: boolean;
  responseCode?: number;
  enhancedStatus?: string;
}

export interface SmtpErrorInit {
  permanent: boolean;
  /** Every later message through this integration would fail the same way until its settings change. */
  integrationFailing?: boolean;
  responseCode?: number;
  enhancedStatus?: string;
  command?: string;
  /** The server's reply, shortened, with any credential removed. */
  serverReply?: string;
  rejected?: RecipientRejection[];
  /** SMTP_QUOTA_EXCEEDED: the account is over a quota of this window; it is paused until it ends. */
  quotaWindow?: QuotaWindow;
}

/**
 * An SMTP failure a person can act on: a stable `code`, a `message` that says what to change,
 * and whether retrying could help. Never carries a password, nor the raw error it came from.
 */
export class SmtpError extends Error {
  readonly permanent: boolean;
  readonly integrationFailing: boolean;
  readonly responseCode?: number;
  readonly enhancedStatus?: string;
  readonly command?: string;
  readonly serverReply?: string;
  readonly rejected?: RecipientRejection[];
  readonly quotaWindow?: QuotaWindow;

  constructor(
    readonly code: SmtpErrorCode,
    message: string,
    init: SmtpErrorInit,
  ) {
    super(message);
    this.name = 'SmtpError';
    this.permanent = init.permanent;
    this.integrationFailing = init.integrationFailing ?? false;
    this.responseCode = init.responseCode;
    this.enhancedStatus = init.enhancedStatus;
    this.command = init.command;
    this.serverReply = init.serverReply;
    this.rejected = init.rejected;
    this.quotaWindow = init.quotaWindow;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      permanent: this.permanent,
      integrationFailing: this.integrationFailing,
      responseCode: this.responseCode,
      enhancedStatus: this.enhancedStatus,
      command: this.command,
      serverReply: this.serverReply,
      rejected: this.rejected,
      quotaWindow: this.quotaWindow,
    };
  }
}

/** What the classifier knows about the connection that failed. */
export interface SmtpErrorContext {
  host?: string;
  port?: number;
  security?: SmtpSecurity;
  /** Values to strip from server replies (the password, the username). */
  secrets?: readonly string[];
  /** Set by a probe: the port was seen to speak implicit TLS (true) or not (false). */
  implicitTlsDetected?: boolean;
  /** The greeting timeout in effect, for the message. */
  greetingTimeoutMs?: number;
  /** `send` (a job retries transient failures) or `verify` (a person is waiting); default `send`. */
  phase?: 'verify' | 'send';
}

/** The parts of a nodemailer or Node error the classifier reads. */
interface RawError {
  message?: unknown;
  code?: unknown;
  reason?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  rejectedErrors?: unknown;
}

const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

// nodemailer replaces a socket error's own code with ESOCKET, so the text is matched as well.
const CERTIFICATE_TEXT =
  /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate has expired|certificate is not yet valid|certificate revoked|certificate signature failure|does not match certificate's altnames|invalid CA certificate|certificate not trusted/i;
const PLAINTEXT_ON_TLS_TEXT =
  /wrong version number|packet length too long|unknown protocol|http request|record layer failure|ERR_SSL_WRONG_VERSION_NUMBER/i;
const TLS_VERSION_TEXT =
  /unsupported protocol|tlsv1 alert protocol version|no protocols available|ERR_SSL_UNSUPPORTED_PROTOCOL/i;
const DNS_CODES =
  /\b(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|ENODATA|ESERVFAIL|ENOTIMP|EREFUSED)\b/;
const NETWORK_TEXT =
  /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN|EPIPE|EADDRNOTAVAIL|ECONNABORTED)\b|Connection closed|socket hang up|Connection pool was closed|Unexpected socket close/i;

// Refusals about the envelope sender or the account, whichever command they answer (Postfix
// refuses the sender at RCPT time by default); never a sign that the recipient is bad.
const SENDER_TEXT =
  /sender address|sender domain|send(?:ing)? (?:mail )?as\b|on behalf of|not owned by|from address/i;
const STARTTLS_REQUIRED_TEXT = /STARTTLS|encryption required|TLS (?:is )?required/i;
// Specific words only: `User unknown in relay recipient table` is an unknown recipient.
const RELAY_TEXT =
  /relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)|unable to relay|not (?:permitted|allowed) to relay|rcpthosts/i;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** RFC 3463 X.1.7 (bad sender mailbox) and X.1.8 (bad sender domain), or a reply that names the sender. */
function isSenderRefusal(enhancedStatus: string | undefined, reply: string | undefined): boolean {
  return /^[45]\.1\.[78]$/.test(enhancedStatus ?? '') || SENDER_TEXT.test(reply ?? '');
}

function seconds(ms: number | undefined): string {
  if (!ms) return '';
  return ` within ${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)} s`;
}

function retryHint(ctx: SmtpErrorContext): string {
  return ctx.phase === 'verify' ? 'try again in a few minutes' : 'it will be tried again';
}

function where(ctx: SmtpErrorContext): string {
  if (ctx.host && ctx.port) return `${ctx.host}:${ctx.port}`;
  return ctx.host ?? 'the SMTP server';
}

/** The first `x.y.z` enhanced status code in a reply (RFC 3463). */
export function parseEnhancedStatus(response: string | undefined): string | undefined {
  if (!response) return undefined;
  const match = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/m.exec(response);
  return match?.[1];
}

function parseResponseCode(response: string | undefined): number | undefined {
  const match = response ? /^([2-5]\d\d)(?=[ -]|$)/.exec(response) : null;
  return match ? Number(match[1]) : undefined;
}

function base64Forms(secret: string): string[] {
  const forms = [Buffer.from(secret, 'utf8').toString('base64')];
  // A server may echo a base64 blob with the padding cut off.
  forms.push(forms[0].replace(/=+$/, ''));
  return forms;
}

/** The server's reply on one line, without the repeated code prefixes, secrets and extra length. */
export function summarizeReply(
  response: string | undefined,
  secrets: readonly string[] = [],
): string | undefined {
  if (!response) return undefined;
  let text = response
    .split(/\r?\n/)
    .map((line, index) =>
      index === 0 ? line : line.replace(/^\d{3}[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?/, ''),
    )
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of [secret, ...base64Forms(secret)]) {
      if (form.length >= 3) text = text.split(form).join('[redacted]');
    }
  }
  // AUTH PLAIN sends base64("\0user\0password"): remove long base64 runs a server might echo.
  text = text.replace(/[A-Za-z0-9+/]{24,}={0,2}/g, '[redacted]');
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

type Provider = 'google' | 'microsoft' | undefined;

function detectProvider(host: string | undefined, response: string | undefined): Provider {
  const h = (host ?? '').toLowerCase();
  const r = response ?? '';
  if (/(^|\.)(gmail|googlemail|google)\.com$/.test(h) || /support\.google\.com|gsmtp/i.test(r))
    return 'google';
  if (
    /(^|\.)(office365\.com|outlook\.com|hotmail\.com|live\.com|office\.com)$/.test(h) ||
    /5\.7\.139|5\.7\.30\b|SmtpClientAuthentication|aka\.ms\/smtp|Client Submission/i.test(r)
  ) {
    return 'microsoft';
  }
  return undefined;
}

function statusLabel(responseCode: number | undefined, enhancedStatus: string | undefined): string {
  return [responseCode, enhancedStatus].filter(Boolean).join(' ');
}

function authFailure(
  responseCode: number | undefined,
  enhancedStatus: string | undefined,
  response: string | undefined,
  ctx: SmtpErrorContext,
  base: SmtpErrorInit,
): SmtpError {
  const label = statusLabel(responseCode, enhancedStatus);
  const provider = detectProvider(ctx.host, response);
  const init: SmtpErrorInit = { ...base, permanent: true, integrationFailing: true };
  // Hints point to App Passwords, OAuth or the tenant admin; never to weakening account security.
  if (provider === 'google') {
    if (enhancedStatus === '5.7.9' || /application-specific password/i.test(response ?? '')) {
      return new SmtpError(
        'SMTP_APP_PASSWORD_REQUIRED',
        `SMTP login failed: Google requires an App Password for this account (${label}). Connect with Google instead (OAuth: no password is stored), or create an App Password in the Google Account under Security > 2-Step Verification > App passwords (App Passwords need 2-Step Verification to be on) and enter it here instead of the account password.`,
        init,
      );
    }
    if (enhancedStatus === '5.7.14' || /log in via your web browser/i.test(response ?? '')) {
      return new SmtpError(
        'SMTP_AUTH_FAILED',
        `SMTP login failed: Google blocked the sign-in (${label}). Sign in to the account in a browser to clear any security prompt, then use an App Password (it needs 2-Step Verification on) as the password here.`,
        init,
      );
    }
    return new SmtpError(
      'SMTP_AUTH_FAILED',
      `SMTP login failed: Google rejected the username or password (${label}). Use the full Gmail or Google Workspace address as the username and an App Password as the password (App Passwords need 2-Step Verification to be on).`,
      init,
    );
  }
  if (provider === 'microsoft') {
    if (
      enhancedStatus === '5.7.139' ||
      enhancedStatus === '5.7.30' ||
      /basic auth|SmtpClientAuthentication/i.test(response ?? '')
    ) {
      return new SmtpError(
        'SMTP_AUTH_FAILED',
        `SMTP login failed: password sign-in (basic authentication) for SMTP is turned off for this Microsoft 365 tenant or mailbox (${label}). A Microsoft 365 administrator can allow authenticated SMTP for this mailbox; otherwise use OAuth, or an app password where your organization allows it.`,
        init,
      );
    }
    return new SmtpError(
      'SMTP_AUTH_FAILED',
      `SMTP login failed: Microsoft rejected the login (${label}). Check the username (the full mailbox address) and password; if they are right, authenticated SMTP may be turned off for the mailbox or tenant: an administrator can allow it, or use an app password where your organization allows it.`,
      init,
    );
  }
  return new SmtpError(
    'SMTP_AUTH_FAILED',
    `SMTP login failed: the server rejected the username or password (${label}). Check both; many providers want the full email address as the username, and an app password when two-step sign-in is on.`,
    init,
  );
}

function classifyAuth(
  responseCode: number | undefined,
  enhancedStatus: string | undefined,
  response: string | undefined,
  message: string,
  ctx: SmtpErrorContext,
  base: SmtpErrorInit,
): SmtpError {
  const label = statusLabel(responseCode, enhancedStatus);
  if (!responseCode) {
    if (/missing credentials/i.test(message)) {
      return new SmtpError(
        'SMTP_SETTINGS_INVALID',
        'Enter both a username and a password, or neither for a server that needs no login.',
        {
          ...base,
          permanent: true,
          integrationFailing: true,
        },
      );
    }
    return new SmtpError(
      'SMTP_AUTH_FAILED',
      'SMTP login failed: the server ended the login unexpectedly. Check the username and password.',
      {
        ...base,
        permanent: true,
        integrationFailing: true,
      },
    );
  }
  if (responseCode >= 400 && responseCode < 500) {
    return new SmtpError(
      'SMTP_AUTH_TEMPORARY_FAILURE',
      `The server could not check the login right now (${label}). This is temporary on the server's side; try again in a few minutes.`,
      { ...base, permanent: false },
    );
  }
  if (
    responseCode === 538 ||
    (responseCode === 530 && /STARTTLS|TLS|encrypt/i.test(response ?? ''))
  ) {
    return new SmtpError(
      'SMTP_ENCRYPTION_REQUIRED',
      `The server accepts a login only over an encrypted connection (${label}). Choose TLS (STARTTLS) on port 587, or SSL on port 465.`,
      { ...base, permanent: true, integrationFailing: true },
    );
  }
  if (
    responseCode === 500 ||
    responseCode === 502 ||
    responseCode === 503 ||
    responseCode === 504
  ) {
    return new SmtpError(
      'SMTP_AUTH_UNSUPPORTED',
      `The server does not accept a username and password login here (${label}). If it relays without a login, leave the username and password empty; otherwise check the security setting and port.`,
      { ...base, permanent: true, integrationFailing: true },
    );
  }
  return authFailure(responseCode, enhancedStatus, response, ctx, base);
}

function certificateMessage(text: string, ctx: SmtpErrorContext): string {
  const target = ctx.host ?? 'the server';
  if (/altnames|HOSTNAME_MISMATCH|ALTNAME/i.test(text)) {
    return `The server's TLS certificate is not valid for ${target}. Use the host name the provider gives for SMTP (the name on its certificate).`;
  }
  if (/expired|CERT_HAS_EXPIRED/i.test(text)) {
    return `The server's TLS certificate has expired. The mail server's administrator must renew it.`;
  }
  if (/not yet valid|CERT_NOT_YET_VALID/i.test(text)) {
    return `The server's TLS certificate is not valid yet. The mail server's administrator must check it (or the server clock).`;
  }
  if (/self[- ]signed|SELF_SIGNED/i.test(text)) {
    return `The server's TLS certificate is self-signed, so it cannot be trusted. Install a certificate from a public certificate authority on the mail server; a private CA can be trusted through the platform's NODE_EXTRA_CA_CERTS setting.`;
  }
  return `The server's TLS certificate could not be verified (it is not signed by a trusted certificate authority, or its chain is incomplete). The mail server's administrator must install a complete certificate chain from a trusted authority.`;
}

/** The error for a port that speaks implicit TLS while `none` or `tls` is chosen. */
export function implicitTlsMismatchError(
  ctx: SmtpErrorContext,
  init: Partial<SmtpErrorInit> = {},
): SmtpError {
  const port = ctx.port ?? 465;
  return new SmtpError(
    'SMTP_TLS_MISMATCH',
    `Port ${port} expects SSL (implicit TLS) from the first byte, but the connection was set to ${ctx.security === 'tls' ? 'TLS (STARTTLS)' : 'none'}. Choose SSL for port ${port} (security "ssl"), or use port 587 with TLS (STARTTLS, security "tls").`,
    { ...init, permanent: true, integrationFailing: true },
  );
}

function tlsMismatchToStartTls(ctx: SmtpErrorContext, base: SmtpErrorInit): SmtpError {
  const port = ctx.port ?? 587;
  return new SmtpError(
    'SMTP_TLS_MISMATCH',
    `Port ${port} speaks STARTTLS (or plaintext), not SSL: choose TLS (STARTTLS) for port ${port}, or use port 465 with SSL.`,
    { ...base, permanent: true, integrationFailing: true },
  );
}

/** The error for a server that does not offer STARTTLS when `tls` is chosen. */
export function startTlsUnavailableError(
  ctx: SmtpErrorContext,
  init: Partial<SmtpErrorInit> = {},
): SmtpError {
  return new SmtpError(
    'SMTP_STARTTLS_UNAVAILABLE',
    `The server at ${where(ctx)} does not offer STARTTLS, so TLS (STARTTLS) cannot be used and nothing is sent unencrypted. If the provider offers SSL, choose SSL on port 465; otherwise check the host and port.`,
    { ...init, permanent: true, integrationFailing: true },
  );
}

function senderRejectedError(label: string, init: SmtpErrorInit): SmtpError {
  const reply = init.serverReply ? ` The server said: ${init.serverReply}` : '';
  return new SmtpError(
    'SMTP_SENDER_REJECTED',
    `The server refused the From address (${label}). Use an address this account is allowed to send as.${reply}`,
    init,
  );
}

function startTlsRequiredError(
  ctx: SmtpErrorContext,
  label: string,
  base: SmtpErrorInit,
): SmtpError {
  return new SmtpError(
    'SMTP_STARTTLS_REQUIRED',
    `The server at ${where(ctx)} accepts mail only over an encrypted connection (${label}). Choose "tls" (STARTTLS), usually on port 587, or "ssl" on port 465.`,
    { ...base, permanent: true, integrationFailing: true },
  );
}

function relayDeniedError(label: string, base: SmtpErrorInit): SmtpError {
  const reply = base.serverReply ? ` The server said: ${base.serverReply}` : '';
  return new SmtpError(
    'SMTP_RELAY_DENIED',
    `The server will not relay mail for this login, or without one (${label}). Enter the username and password of an account on this server, or use the provider's submission port 587 with a login.${reply}`,
    { ...base, permanent: true, integrationFailing: true },
  );
}

function classifyReply(
  responseCode: number,
  enhancedStatus: string | undefined,
  command: string | undefined,
  message: string,
  ctx: SmtpErrorContext,
  base: SmtpErrorInit,
): SmtpError {
  const label = statusLabel(responseCode, enhancedStatus);
  const transient = responseCode >= 400 && responseCode < 500;
  const reply = base.serverReply ? ` The server said: ${base.serverReply}` : '';
  if (transient) {
    return new SmtpError(
      'SMTP_TEMPORARY_FAILURE',
      `The server refused for now (${label}); ${retryHint(ctx)}.${reply}`,
      { ...base, permanent: false },
    );
  }
  const cmd = (command ?? '').toUpperCase();
  const envelope = /MAIL|RCPT/.test(cmd);
  // Before the login row: Postfix and Gmail answer `530 5.7.0 Must issue a STARTTLS command first`.
  if (
    envelope &&
    (responseCode === 530 || enhancedStatus?.startsWith('5.7.')) &&
    STARTTLS_REQUIRED_TEXT.test(base.serverReply ?? '')
  ) {
    return startTlsRequiredError(ctx, label, base);
  }
  if (
    (responseCode === 530 || enhancedStatus === '5.7.57' || enhancedStatus === '5.7.0') &&
    envelope
  ) {
    return new SmtpError(
      'SMTP_AUTH_REQUIRED',
      `The server requires a login before it accepts mail (${label}). Enter the username and password for this server.`,
      { ...base, permanent: true, integrationFailing: true },
    );
  }
  if (cmd === 'RCPT TO' && RELAY_TEXT.test(base.serverReply ?? '')) {
    return relayDeniedError(label, base);
  }
  if (cmd === 'MAIL FROM') {
    // The From address is the same on every message: a refusal of it is the integration's.
    const aboutSender =
      /^5\.[17]\./.test(enhancedStatus ?? '') || isSenderRefusal(enhancedStatus, base.serverReply);
    return senderRejectedError(label, {
      ...base,
      permanent: true,
      integrationFailing: aboutSender,
    });
  }
  if (cmd === 'RCPT TO' && isSenderRefusal(enhancedStatus, base.serverReply)) {
    return senderRejectedError(label, { ...base, permanent: true, integrationFailing: true });
  }
  if (cmd === 'RCPT TO') {
    return new SmtpError(
      'SMTP_RECIPIENT_REJECTED',
      `The server refused the recipient (${label}).${reply}`,
      { ...base, permanent: true },
    );
  }
  if (
    responseCode === 552 ||
    responseCode === 523 ||
    enhancedStatus === '5.3.4' ||
    enhancedStatus === '5.2.3'
  ) {
    return new SmtpError(
      'SMTP_MESSAGE_TOO_LARGE',
      `The message is larger than the server accepts (${label}).`,
      { ...base, permanent: true },
    );
  }
  if (cmd === 'DATA') {
    return new SmtpError(
      'SMTP_MESSAGE_REJECTED',
      `The server refused the message (${label}).${reply}`,
      { ...base, permanent: true },
    );
  }
  if (cmd === 'CONN' || cmd === 'EHLO' || cmd === 'HELO') {
    return new SmtpError(
      'SMTP_CONNECTION_REJECTED',
      `The server at ${where(ctx)} refused the session (${label}).${reply}`,
      { ...base, permanent: true },
    );
  }
  return new SmtpError(
    'SMTP_ERROR',
    `The SMTP server answered with an error (${label}): ${message}`,
    { ...base, permanent: true },
  );
}

/**
 * One row of a classifier table. Rows are tried in order and the first whose `match` holds
 * builds the result, so a row may rely on every earlier row having failed.
 */
interface ClassifierRow<Facts, Result> {
  match(err: RawError, facts: Facts): boolean;
  build(err: RawError, facts: Facts): Result;
}

function firstMatch<Facts, Result>(
  rows: readonly ClassifierRow<Facts, Result>[],
  err: RawError,
  facts: Facts,
): Result | undefined {
  for (const row of rows) {
    if (row.match(err, facts)) return row.build(err, facts);
  }
  return undefined;
}

/** What the rows of `classifySmtpError` read, worked out once per error. */
interface SmtpErrorFacts {
  ctx: SmtpErrorContext;
  code: string;
  command?: string;
  response?: string;
  responseCode?: number;
  enhancedStatus?: string;
  secrets: readonly string[];
  /** The error's message with secrets removed: safe to show. */
  message: string;
  /** Code, reason and raw message together: only for matching, it may still hold a secret. */
  text: string;
  base: SmtpErrorInit;
}

function smtpErrorFacts(raw: RawError, ctx: SmtpErrorContext): SmtpErrorFacts {
  const code = str(raw.code) ?? '';
  const command = str(raw.command);
  const response = str(raw.response);
  const responseCode =
    typeof raw.responseCode === 'number' ? raw.responseCode : parseResponseCode(response);
  const enhancedStatus = parseEnhancedStatus(response);
  const secrets = ctx.secrets ?? [];
  const serverReply = summarizeReply(response, secrets);
  return {
    ctx,
    code,
    command,
    response,
    responseCode,
    enhancedStatus,
    secrets,
    // The raw message may quote the reply; it is only used after the same scrubbing.
    message: summarizeReply(str(raw.message) ?? '', secrets) ?? '',
    text: `${code} ${str(raw.reason) ?? ''} ${str(raw.message) ?? ''}`,
    base: { permanent: true, responseCode, enhancedStatus, command, serverReply },
  };
}

const isTransientReply = (responseCode: number | undefined): boolean =>
  responseCode !== undefined && responseCode >= 400 && responseCode < 500;

const isPlaintextOnTls = (f: SmtpErrorFacts): boolean => PLAINTEXT_ON_TLS_TEXT.test(f.text);

const isDnsFailure = (f: SmtpErrorFacts): boolean => f.code === 'EDNS' || DNS_CODES.test(f.text);

const isTimeout = (f: SmtpErrorFacts): boolean =>
  f.code === 'ETIMEDOUT' || /\bETIMEDOUT\b/.test(f.text);

// With SSL chosen a silent greeting is no sign of a TLS mismatch, so it counts as a plain timeout.
const isGreetingTimeout = (f: SmtpErrorFacts): boolean =>
  isTimeout(f) && /greeting never received/i.test(f.text) && f.ctx.security !== 'ssl';

const isNetworkFailure = (f: SmtpErrorFacts): boolean =>
  f.code === 'ECONNECTION' || f.code === 'ESOCKET' || NETWORK_TEXT.test(f.text);

/** The error of a refused XOAUTH2 login: the server's decoded JSON, and what to do. */
function xoauth2Refused(err: RawError, f: SmtpErrorFacts): SmtpError {
  const failure = (err as { xoauth2?: XOAuth2Failure | null }).xoauth2;
  const label = statusLabel(f.responseCode, f.enhancedStatus);
  const provider = detectProvider(f.ctx.host, f.response);
  const said = failure ? `: ${describeXOAuth2Failure(failure)}` : '';
  const with_ =
    provider === 'google' ? ' with Google' : provider === 'microsoft' ? ' with Microsoft' : '';
  const temporary = isTransientReply(f.responseCode);
  return new SmtpError(
    'SMTP_XOAUTH2_REFUSED',
    temporary
      ? `The server could not check the OAuth sign-in right now (${label}${said}); ${retryHint(f.ctx)}.`
      : `The server refused the OAuth sign-in (${label}${said}), also with a newly issued access token. Connect the account again${with_}, allowing the mail permissions it asks for; for Microsoft 365 an administrator may also need to allow SMTP AUTH for the mailbox.`,
    { ...f.base, permanent: !temporary, integrationFailing: !temporary },
  );
}

// Microsoft 365's refusals of the login itself, whichever command they answer: password sign-in
// (basic authentication) turned off, or SMTP AUTH turned off for the mailbox or tenant.
const BASIC_AUTH_DISABLED = (f: SmtpErrorFacts): boolean =>
  f.enhancedStatus === '5.7.30' ||
  /basic authentication is not supported for client submission/i.test(f.response ?? '');
const SMTP_AUTH_DISABLED = (f: SmtpErrorFacts): boolean =>
  f.enhancedStatus === '5.7.139' || /SmtpClientAuthentication is disabled/i.test(f.response ?? '');

// Order matters: TLS and DNS causes hide inside socket errors, and a reply code outranks the
// generic nodemailer code it came with.
const SMTP_ERROR_ROWS: readonly ClassifierRow<SmtpErrorFacts, SmtpError>[] = [
  {
    match: (_, f) => SMTP_AUTH_DISABLED(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_AUTH_DISABLED_FOR_MAILBOX',
        `SMTP login failed: SMTP AUTH (authenticated SMTP) is turned off for this Microsoft 365 mailbox or its tenant (${statusLabel(f.responseCode, f.enhancedStatus)}). A Microsoft 365 administrator must turn on Authenticated SMTP for the mailbox (Microsoft 365 admin center > Users > Active users > the user > Mail > Manage email apps, or Set-CASMailbox -SmtpClientAuthenticationDisabled $false), and for the tenant if it is off there; then connect with Microsoft (OAuth), which needs no password and keeps working once passwords are refused.`,
        { ...f.base, permanent: true, integrationFailing: true },
      ),
  },
  {
    match: (_, f) => BASIC_AUTH_DISABLED(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_BASIC_AUTH_DISABLED',
        `SMTP login failed: Microsoft 365 no longer accepts a password (basic authentication) for this mailbox (${statusLabel(f.responseCode, f.enhancedStatus)}). Connect with Microsoft instead: OAuth 2.0 sign-in, from the console's Integrations page or POST /v1/integrations/oauth/authorize; no password is stored.`,
        { ...f.base, permanent: true, integrationFailing: true },
      ),
  },
  {
    match: (err, f) =>
      (err as { xoauth2?: unknown }).xoauth2 !== undefined ||
      (f.command === 'AUTH XOAUTH2' && f.responseCode !== undefined && f.responseCode >= 400),
    build: (err, f) => xoauth2Refused(err, f),
  },
  {
    match: (_, f) =>
      f.code === 'EAUTH' ||
      (f.command?.startsWith('AUTH') === true &&
        f.responseCode !== undefined &&
        f.responseCode >= 400),
    build: (_, f) =>
      classifyAuth(f.responseCode, f.enhancedStatus, f.response, f.message, f.ctx, f.base),
  },
  {
    match: (_, f) => CERTIFICATE_CODES.has(f.code) || CERTIFICATE_TEXT.test(f.text),
    build: (_, f) =>
      new SmtpError('SMTP_CERTIFICATE_INVALID', certificateMessage(f.text, f.ctx), {
        ...f.base,
        permanent: true,
        integrationFailing: true,
      }),
  },
  {
    match: (_, f) =>
      isPlaintextOnTls(f) && (f.ctx.security === 'ssl' || f.ctx.security === undefined),
    build: (_, f) => tlsMismatchToStartTls(f.ctx, f.base),
  },
  {
    match: (_, f) => isPlaintextOnTls(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TLS_FAILED',
        `The TLS handshake with ${where(f.ctx)} failed: the server did not answer in TLS.`,
        { ...f.base, permanent: true, integrationFailing: true },
      ),
  },
  {
    match: (_, f) => TLS_VERSION_TEXT.test(f.text),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TLS_FAILED',
        `The server at ${where(f.ctx)} supports only TLS versions older than 1.2, which are not secure. The mail server's administrator must enable TLS 1.2 or later.`,
        { ...f.base, permanent: true, integrationFailing: true },
      ),
  },
  {
    match: (_, f) =>
      f.code === 'ETLS' &&
      (f.command === 'STARTTLS' || f.command === 'EHLO') &&
      f.responseCode !== undefined &&
      f.responseCode >= 500,
    build: (_, f) => startTlsUnavailableError(f.ctx, f.base),
  },
  {
    match: (_, f) => f.code === 'ETLS' && isTransientReply(f.responseCode),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TEMPORARY_FAILURE',
        `The server could not start TLS right now (${statusLabel(f.responseCode, f.enhancedStatus)}); ${retryHint(f.ctx)}.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => f.code === 'ETLS',
    build: (_, f) =>
      new SmtpError(
        'SMTP_TLS_FAILED',
        `The TLS handshake with ${where(f.ctx)} failed. Check the security setting and port.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => isDnsFailure(f) && /ENOTFOUND|EAI_NONAME|ENODATA/.test(f.text),
    build: (_, f) =>
      new SmtpError(
        'SMTP_DNS_FAILED',
        `The host name ${f.ctx.host ?? 'of the SMTP server'} was not found in DNS. Check the spelling of the SMTP host.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => isDnsFailure(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_DNS_FAILED',
        `Looking up ${f.ctx.host ?? 'the SMTP host'} in DNS failed for now; ${retryHint(f.ctx)}.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    // A port that waits for a TLS handshake sends no greeting to a plaintext client.
    match: (_, f) => isGreetingTimeout(f) && (f.ctx.implicitTlsDetected ?? f.ctx.port === 465),
    build: (_, f) => implicitTlsMismatchError(f.ctx, f.base),
  },
  {
    match: (_, f) => isGreetingTimeout(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TIMEOUT',
        `Connected to ${where(f.ctx)}, but the server sent no greeting${seconds(f.ctx.greetingTimeoutMs)}. Check that this port runs an SMTP server, and try again later if the server is busy.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => isTimeout(f) && (/connection timeout/i.test(f.text) || f.command === 'CONN'),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TIMEOUT',
        `Could not connect to ${where(f.ctx)} in time. Check the host and port, and that the server accepts connections from outside its network (a firewall may drop them).`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => isTimeout(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_TIMEOUT',
        `The server at ${where(f.ctx)} stopped answering; ${retryHint(f.ctx)}.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    // Before the envelope and reply rows: an account over its provider's quota waits; neither the
    // message nor its recipient is at fault.
    match: (err, f) => smtpQuotaReply(err, f.ctx.host) !== null,
    build: (err, f) => {
      const quota = smtpQuotaReply(err, f.ctx.host)!;
      const said = summarizeReply(quota.reply, f.secrets);
      const reply = said ? ` The server said: ${said}` : '';
      const window = quota.window === 'day' ? 'daily' : 'per-minute';
      // A person waiting (a connect, a test send) tries again; delivery pauses the account.
      const then =
        f.ctx.phase === 'verify'
          ? `try again once the account's ${window} limit has reset`
          : `sending from this account is paused until its ${window} window ends, and its messages wait`;
      return new SmtpError(
        'SMTP_QUOTA_EXCEEDED',
        `${quota.what} (${quota.label}); ${then}.${reply}`,
        { ...f.base, serverReply: said, permanent: false, quotaWindow: quota.window },
      );
    },
  },
  {
    match: (err, f) =>
      f.code === 'EENVELOPE' && Array.isArray(err.rejectedErrors) && err.rejectedErrors.length > 0,
    build: (err, f) => {
      const entries = err.rejectedErrors as unknown[];
      const rejected = entries.map((entry) => classifyRecipientRejection(entry, f.secrets));
      // One temporary refusal is enough for the whole message to be worth retrying.
      const permanent = rejected.every((r) => r.permanent);
      const integrationFailing = rejected.some((r) => r.integrationFailing === true);
      // Every refusal was about the From address: no recipient is at fault.
      if (rejected.every((r) => r.code === 'SMTP_SENDER_REJECTED')) {
        const first = rejected[0];
        return senderRejectedError(statusLabel(first.responseCode, first.enhancedStatus), {
          ...f.base,
          permanent,
          integrationFailing,
          rejected,
        });
      }
      return new SmtpError(
        'SMTP_RECIPIENT_REJECTED',
        `The server refused every recipient: ${rejected.map((r) => `${r.address}: ${r.message}`).join('; ')}`,
        { ...f.base, permanent, integrationFailing, rejected },
      );
    },
  },
  {
    match: (_, f) => f.responseCode !== undefined && f.responseCode >= 400,
    // The match above has checked that the reply code is set.
    build: (_, f) =>
      classifyReply(
        f.responseCode as number,
        f.enhancedStatus,
        f.command,
        f.message,
        f.ctx,
        f.base,
      ),
  },
  {
    match: (_, f) => f.code === 'EMESSAGE' && /size larger than allowed/i.test(f.text),
    build: (_, f) =>
      new SmtpError('SMTP_MESSAGE_TOO_LARGE', 'The message is larger than the server accepts.', {
        ...f.base,
        permanent: true,
      }),
  },
  {
    match: (_, f) => isNetworkFailure(f) && /ECONNREFUSED/.test(f.text),
    build: (_, f) =>
      new SmtpError(
        'SMTP_CONNECTION_FAILED',
        `Nothing accepted the connection at ${where(f.ctx)} (connection refused). Check the host and port.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) =>
      isNetworkFailure(f) && /EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN/.test(f.text),
    build: (_, f) =>
      new SmtpError(
        'SMTP_CONNECTION_FAILED',
        `The host ${where(f.ctx)} cannot be reached from here. Check the host and port.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => isNetworkFailure(f),
    build: (_, f) =>
      new SmtpError(
        'SMTP_CONNECTION_FAILED',
        `The connection to ${where(f.ctx)} was lost (${f.message || f.code}); ${retryHint(f.ctx)}.`,
        { ...f.base, permanent: false },
      ),
  },
  {
    match: (_, f) => f.code === 'EPROTOCOL',
    build: (_, f) =>
      new SmtpError(
        'SMTP_PROTOCOL_ERROR',
        `The server at ${where(f.ctx)} did not answer like an SMTP server. Check the host and port.`,
        { ...f.base, permanent: true },
      ),
  },
];

// Nothing recognisable: let a job retry it rather than drop the message.
function unclassifiedSmtpError(f: SmtpErrorFacts): SmtpError {
  return new SmtpError(
    'SMTP_ERROR',
    `Sending through ${where(f.ctx)} failed: ${f.message || 'unknown error'}.`,
    { ...f.base, permanent: false },
  );
}

/**
 * Maps a nodemailer (or Node socket/TLS) error to an SmtpError with a code and a message that
 * says what to change. Network errors and 4xx replies are transient; 5xx replies are permanent.
 */
export function classifySmtpError(err: unknown, ctx: SmtpErrorContext = {}): SmtpError {
  if (err instanceof SmtpError) return err;
  const raw: RawError = typeof err === 'object' && err !== null ? err : { message: String(err) };
  const facts = smtpErrorFacts(raw, ctx);
  return firstMatch(SMTP_ERROR_ROWS, raw, facts) ?? unclassifiedSmtpError(facts);
}

/** What the rows of `classifyRecipientRejection` read. */
interface RejectionFacts {
  address: string;
  responseCode?: number;
  enhancedStatus?: string;
  /** The server's reply, scrubbed, or `no reply`. */
  reply: string;
}

function rejection(
  f: RejectionFacts,
  code: RecipientRejectionCode,
  message: string,
  {
    permanent,
    suppress,
    integrationFailing,
  }: Pick<RecipientRejection, 'permanent' | 'suppress' | 'integrationFailing'>,
): RecipientRejection {
  return {
    address: f.address,
    code,
    message,
    permanent,
    suppress,
    ...(integrationFailing ? { integrationFailing } : {}),
    responseCode: f.responseCode,
    enhancedStatus: f.enhancedStatus,
  };
}

const RECIPIENT_REJECTION_ROWS: readonly ClassifierRow<RejectionFacts, RecipientRejection>[] = [
  {
    match: (_, f) => isTransientReply(f.responseCode),
    build: (_, f) =>
      rejection(f, 'SMTP_RECIPIENT_TEMPORARY', `Refused for now: ${f.reply}`, {
        permanent: false,
        suppress: false,
      }),
  },
  {
    // Before the unknown-address row: 5.1.7 and 5.1.8 are about the sender, and suppressing the
    // recipient for them would stop its mail for good over a wrong From address.
    match: (_, f) => isSenderRefusal(f.enhancedStatus, f.reply),
    build: (_, f) =>
      rejection(
        f,
        'SMTP_SENDER_REJECTED',
        `The server refused the From address, not this recipient: ${f.reply}`,
        { permanent: true, suppress: false, integrationFailing: true },
      ),
  },
  {
    // Servers without enhanced status codes still say so in words.
    match: (_, f) =>
      f.enhancedStatus?.startsWith('5.1.') === true ||
      (!f.enhancedStatus &&
        /no such (user|mailbox)|user unknown|unknown (user|recipient)|does not exist/i.test(
          f.reply,
        )),
    build: (_, f) =>
      rejection(f, 'SMTP_RECIPIENT_UNKNOWN', `The address does not exist: ${f.reply}`, {
        permanent: true,
        suppress: true,
      }),
  },
  {
    match: (_, f) => f.enhancedStatus === '5.2.2',
    build: (_, f) =>
      rejection(f, 'SMTP_RECIPIENT_MAILBOX_FULL', `The mailbox is full: ${f.reply}`, {
        permanent: true,
        suppress: false,
      }),
  },
  {
    match: (_, f) => f.enhancedStatus?.startsWith('5.7.') === true,
    build: (_, f) =>
      rejection(f, 'SMTP_RECIPIENT_POLICY', `Refused by the server's policy: ${f.reply}`, {
        permanent: true,
        suppress: false,
      }),
  },
];

/** Classifies one refused recipient from nodemailer's `rejectedErrors` (or `{ recipient, response }`). */
export function classifyRecipientRejection(
  entry: unknown,
  secrets: readonly string[] = [],
): RecipientRejection {
  const raw = (typeof entry === 'object' && entry !== null ? entry : {}) as RawError & {
    recipient?: unknown;
    address?: unknown;
  };
  const response = str(raw.response);
  const facts: RejectionFacts = {
    address: str(raw.recipient) ?? str(raw.address) ?? '',
    responseCode:
      typeof raw.responseCode === 'number' ? raw.responseCode : parseResponseCode(response),
    enhancedStatus: parseEnhancedStatus(response),
    reply: summarizeReply(response, secrets) ?? 'no reply',
  };
  return (
    firstMatch(RECIPIENT_REJECTION_ROWS, raw, facts) ??
    rejection(facts, 'SMTP_RECIPIENT_REJECTED', `Refused: ${facts.reply}`, {
      permanent: true,
      suppress: false,
    })
  );
}
