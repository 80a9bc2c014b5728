import { ImapFlow } from 'imapflow';
import { resolveAllowedHost, type HostResolver } from '../smtp/host-guard';
import { SmtpError } from '../smtp/smtp-errors';
import { describeXOAuth2Failure } from '../smtp/xoauth2';
import { chooseSentFolder, type ImapSettings } from './sent-folder';

export type ImapErrorCode =
  | 'IMAP_HOST_NOT_ALLOWED'
  | 'IMAP_DNS_FAILED'
  | 'IMAP_PLAINTEXT_AUTH_REFUSED'
  | 'IMAP_CONNECTION_FAILED'
  | 'IMAP_TIMEOUT'
  | 'IMAP_TLS_FAILED'
  | 'IMAP_CERTIFICATE_INVALID'
  | 'IMAP_STARTTLS_UNAVAILABLE'
  | 'IMAP_AUTH_FAILED'
  | 'IMAP_XOAUTH2_REFUSED'
  | 'IMAP_SENT_FOLDER_NOT_FOUND'
  | 'IMAP_APPEND_FAILED'
  | 'IMAP_ERROR';

/** An IMAP failure with a stable code and a message that says what to change; never carries a password. */
export class ImapError extends Error {
  constructor(
    readonly code: ImapErrorCode,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ImapError';
  }
}

/** A password, or an OAuth access token (XOAUTH2, or OAUTHBEARER where the server offers it). */
export type ImapCredentials =
  { user: string; pass: string } | { user: string; accessToken: string };

export interface ImapConnectOptions {
  allowPrivateHosts: boolean;
  /** With security `none`, lets the login travel unencrypted (the program's allowInsecureSmtp). */
  allowInsecure?: boolean;
  resolver?: HostResolver;
  /** Connect, greeting and DNS; default 10 s. */
  timeoutMs?: number;
  /** Longest silence once connected; default 60 s (an APPEND of a large message). */
  socketTimeoutMs?: number;
}

type RawImapError = {
  oauthError?: unknown;
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  reason?: unknown;
};

const CERTIFICATE = /CERT|certificate|altnames|self[- ]signed|unable to (get|verify)/i;

/** Maps an imapflow (or socket/TLS) error to an ImapError a person can act on. */
export function classifyImapError(
  err: unknown,
  settings: ImapSettings,
  options: { oauth?: boolean } = {},
): ImapError {
  if (err instanceof ImapError) return err;
  const where = `${settings.host}:${settings.port}`;
  const raw = (
    typeof err === 'object' && err !== null ? err : { message: String(err) }
  ) as RawImapError;
  const code = typeof raw.code === 'string' ? raw.code : '';
  const text = `${code} ${typeof raw.reason === 'string' ? raw.reason : ''} ${typeof raw.message === 'string' ? raw.message : ''}`;
  if (
    raw.oauthError !== undefined ||
    ((raw.authenticationFailed === true || raw.serverResponseCode === 'AUTHENTICATIONFAILED') &&
      options.oauth)
  ) {
    const said =
      typeof raw.oauthError === 'object' && raw.oauthError !== null
        ? ` (${describeXOAuth2Failure(raw.oauthError)})`
        : '';
    return new ImapError(
      'IMAP_XOAUTH2_REFUSED',
      `IMAP login to ${where} with the OAuth sign-in was refused${said}. Check that IMAP is enabled for the mailbox (Microsoft 365: the IMAP protocol in the mailbox's email apps; Gmail: IMAP access), then connect the account again.`,
      true,
    );
  }
  if (raw.authenticationFailed === true || raw.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new ImapError(
      'IMAP_AUTH_FAILED',
      `IMAP login to ${where} failed: the server rejected the username or password. The Sent copy uses the sender's email and password; check them, or set the IMAP host if mail is read on another server.`,
      true,
    );
  }
  if (/does not support STARTTLS/i.test(text)) {
    return new ImapError(
      'IMAP_STARTTLS_UNAVAILABLE',
      `The IMAP server at ${where} does not offer STARTTLS. Choose SSL (usually port 993) for IMAP.`,
      true,
    );
  }
  if (/TIMEOUT|ETIMEDOUT/i.test(code) || /timed? ?out/i.test(text)) {
    return new ImapError(
      'IMAP_TIMEOUT',
      `The IMAP server at ${where} did not answer in time${code === 'GREETING_TIMEOUT' && settings.security !== 'ssl' ? '; if the port expects SSL from the first byte, choose SSL' : ''}. Check the host and port.`,
      false,
    );
  }
  if (CERTIFICATE.test(text)) {
    return new ImapError(
      'IMAP_CERTIFICATE_INVALID',
      `The TLS certificate of the IMAP server at ${where} could not be verified (wrong name, expired or not from a trusted authority). Use the IMAP host name the provider gives.`,
      true,
    );
  }
  if (
    raw.tlsFailed === true ||
    /wrong version number|packet length too long|handshake|EPROTO|alert|ssl routines/i.test(text)
  ) {
    return new ImapError(
      'IMAP_TLS_FAILED',
      `The TLS handshake with the IMAP server at ${where} failed. Check the security setting: SSL is usual on port 993, TLS (STARTTLS) on port 143.`,
      true,
    );
  }
  if (
    /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|NoConnection|ClosedAfterConnect/i.test(
      text,
    )
  ) {
    return new ImapError(
      'IMAP_CONNECTION_FAILED',
      `Could not talk to the IMAP server at ${where} (${code || 'connection failed'}). Check the host and port.`,
      false,
    );
  }
  return new ImapError('IMAP_ERROR', `The IMAP server at ${where} answered with an error.`, false);
}

function fromHostGuard(err: unknown, settings: ImapSettings): ImapError {
  if (err instanceof SmtpError && err.code === 'SMTP_HOST_NOT_ALLOWED') {
    return new ImapError(
      'IMAP_HOST_NOT_ALLOWED',
      err.message.replace('mail servers', 'IMAP servers'),
      true,
    );
  }
  if (err instanceof SmtpError && err.code === 'SMTP_DNS_FAILED') {
    return new ImapError(
      'IMAP_DNS_FAILED',
      `The IMAP host ${settings.host} could not be found in DNS. Check the IMAP host.`,
      err.permanent,
    );
  }
  return classifyImapError(err, settings);
}

/**
 * Logs in to a sender's IMAP server through the SSRF guard, with certificates validated and
 * STARTTLS required for `tls`. The caller logs out.
 */
export async function openImap(
  settings: ImapSettings,
  credentials: ImapCredentials,
  options: ImapConnectOptions,
): Promise<ImapFlow> {
  if (settings.security === 'none' && !options.allowInsecure) {
    throw new ImapError(
      'IMAP_PLAINTEXT_AUTH_REFUSED',
      'With IMAP security "none" the password would travel unencrypted. Choose SSL (port 993) or TLS (STARTTLS, port 143).',
      true,
    );
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  let target;
  try {
    target = await resolveAllowedHost(settings.host, settings.port, {
      allowPrivateHosts: options.allowPrivateHosts,
      resolver: options.resolver,
      timeoutMs,
    });
  } catch (err) {
    throw fromHostGuard(err, settings);
  }
  const client = new ImapFlow({
    // The checked address, so DNS cannot change between the guard and the connection.
    host: target.address,
    port: settings.port,
    secure: settings.security === 'ssl',
    doSTARTTLS:
      settings.security === 'tls' ? true : settings.security === 'none' ? false : undefined,
    servername: target.servername,
    auth:
      'accessToken' in credentials
        ? { user: credentials.user, accessToken: credentials.accessToken }
        : { user: credentials.user, pass: credentials.pass },
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  });
  // A late socket error after a failure would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw classifyImapError(err, settings, { oauth: 'accessToken' in credentials });
  }
  return client;
}

async function logout(client: ImapFlow): Promise<void> {
  try {
    await client.logout();
  } catch {
    client.close();
  }
}

async function sentFolderOf(
  client: ImapFlow,
  settings: ImapSettings,
  configured?: string | null,
): Promise<string> {
  if (configured) return configured;
  let folder: string | undefined;
  try {
    folder = chooseSentFolder(await client.list());
  } catch (err) {
    throw classifyImapError(err, settings);
  }
  if (!folder) {
    throw new ImapError(
      'IMAP_SENT_FOLDER_NOT_FOUND',
      `No Sent folder was found on ${settings.host}: none is flagged \\Sent and none has a usual name. Name the folder to use in imap.sentFolder.`,
      true,
    );
  }
  return folder;
}

/** Logs in and finds the Sent folder; what a sender's settings are checked with before they are saved. */
export async function verifyImap(
  settings: ImapSettings,
  credentials: ImapCredentials,
  options: ImapConnectOptions & { sentFolder?: string | null },
): Promise<{ sentFolder: string }> {
  const client = await openImap(settings, credentials, options);
  try {
    const sentFolder = await sentFolderOf(client, settings, options.sentFolder);
    if (options.sentFolder) {
      const status = await client.status(sentFolder, { messages: true }).catch(() => undefined);
      if (!status) {
        throw new ImapError(
          'IMAP_SENT_FOLDER_NOT_FOUND',
          `The folder "${sentFolder}" does not exist on ${settings.host}.`,
          true,
        );
      }
    }
    return { sentFolder };
  } finally {
    await logout(client);
  }
}

/** Appends the exact bytes of a sent message to the Sent folder, marked as read. */
export async function appendToSentFolder(
  settings: ImapSettings,
  credentials: ImapCredentials,
  raw: Buffer,
  options: ImapConnectOptions & { sentFolder?: string | null },
): Promise<{ mailbox: string; uid?: number }> {
  const client = await openImap(settings, credentials, options);
  try {
    const mailbox = await sentFolderOf(client, settings, options.sentFolder);
    let result;
    try {
      result = await client.append(mailbox, raw, ['\\Seen']);
    } catch (err) {
      const e = classifyImapError(err, settings);
      if (e.code !== 'IMAP_ERROR') throw e;
      throw new ImapError(
        'IMAP_APPEND_FAILED',
        `The IMAP server at ${settings.host} refused to store the copy in "${mailbox}".`,
        false,
      );
    }
    if (!result)
      throw new ImapError(
        'IMAP_APPEND_FAILED',
        `The IMAP server at ${settings.host} did not store the copy in "${mailbox}".`,
        false,
      );
    return { mailbox: result.destination || mailbox, uid: result.uid };
  } finally {
    await logout(client);
  }
}
