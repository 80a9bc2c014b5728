import type { ImapFlow, MailboxObject } from 'imapflow';
import {
  classifyImapError,
  openImap,
  type ImapConnectOptions,
  type ImapCredentials,
} from '../../transports/imap/imap-client';
import type { ImapSettings } from '../../transports/imap/sent-folder';

/**
 * The keyword a message taken in gets in the program's mailbox: visible to its people (most
 * clients show keywords as tags), and a second guard besides the UID cursor.
 */
export const TAKEN_KEYWORD = '$ReferralNotify';

/** Why a mailbox cannot be read, as the API answers it and the mailbox shows it. */
export interface MailboxProblem {
  code: string;
  message: string;
  /** Only a person can fix it (a refused login, a missing folder): it shows at once as failing. */
  permanent: boolean;
}

export class MailboxFolderError extends Error implements MailboxProblem {
  readonly code = 'IMAP_FOLDER_NOT_FOUND';
  readonly permanent = true;

  constructor(folder: string, host: string) {
    super(
      `The folder "${folder}" does not exist on ${host}. Name an existing folder (INBOX when left out); names are case-sensitive, and subfolders are written with the server's separator, e.g. INBOX/Bounces or INBOX.Bounces.`,
    );
    this.name = 'MailboxFolderError';
  }
}

/** An imapflow, socket or guard error as a problem a person can act on; never carries the password. */
export function mailboxProblem(err: unknown, settings: ImapSettings): MailboxProblem {
  if (err instanceof MailboxFolderError) return err;
  const e = classifyImapError(err, settings);
  if (e.code === 'IMAP_AUTH_FAILED') {
    // The shared message speaks of Sent copies; this login is the mailbox's own.
    return {
      code: e.code,
      message: `IMAP login to ${settings.host}:${settings.port} failed: the server rejected the username or password of the mailbox. Check them; with two-step verification the provider may need an app password.`,
      permanent: true,
    };
  }
  return { code: e.code, message: e.message, permanent: e.permanent };
}

/** A NO to SELECT, EXAMINE or STATUS: the folder is not there (or not selectable). */
function refusedFolder(err: unknown): boolean {
  const e = err as { responseStatus?: unknown; code?: unknown } | null;
  return e?.responseStatus === 'NO' || e?.code === 'NotFound';
}

export interface FolderState {
  messages: number;
  uidValidity: number | null;
  uidNext: number | null;
}

export async function logout(client: ImapFlow): Promise<void> {
  try {
    await client.logout();
  } catch {
    client.close();
  }
}

/** Selects the folder to read it; throws MailboxFolderError when it is not there. */
export async function selectFolder(
  client: ImapFlow,
  folder: string,
  settings: ImapSettings,
  readOnly = false,
): Promise<MailboxObject> {
  try {
    return await client.mailboxOpen(folder, { readOnly });
  } catch (err) {
    if (refusedFolder(err)) throw new MailboxFolderError(folder, settings.host);
    throw err;
  }
}

/**
 * Logs in and looks at the folder without selecting it: how many messages it holds, and where
 * its UIDs are (the cursor a new mailbox starts reading from).
 */
export async function inspectMailbox(
  settings: ImapSettings,
  credentials: ImapCredentials,
  options: ImapConnectOptions & { folder: string },
): Promise<FolderState> {
  const client = await openImap(settings, credentials, options);
  try {
    let status;
    try {
      status = await client.status(options.folder, {
        messages: true,
        uidNext: true,
        uidValidity: true,
      });
    } catch (err) {
      if (refusedFolder(err)) throw new MailboxFolderError(options.folder, settings.host);
      throw err;
    }
    // imapflow answers false to a STATUS the server refused.
    if (!status) throw new MailboxFolderError(options.folder, settings.host);
    return {
      messages: status.messages ?? 0,
      uidValidity: status.uidValidity !== undefined ? Number(status.uidValidity) : null,
      uidNext: status.uidNext ?? null,
    };
  } finally {
    await logout(client);
  }
}
