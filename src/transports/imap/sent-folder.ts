import type { SmtpSecurity } from '../smtp/smtp-settings';
import type { SaveToSentMode } from '../accounts/sender-identity.entity';

export interface ImapSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
}

export const DEFAULT_IMAP_PORTS: Readonly<Record<SmtpSecurity, number>> = {
  none: 143,
  tls: 143,
  ssl: 993,
};

// Google files what its SMTP servers send in the Sent folder itself; a second copy would be a duplicate.
const GOOGLE_HOST = /(^|\.)(gmail\.com|googlemail\.com|google\.com)$/;

export function isGoogleMailHost(host: string): boolean {
  return GOOGLE_HOST.test(host.trim().toLowerCase().replace(/\.$/, ''));
}

/** Whether copies go to the Sent folder: `auto` is on except where the provider files them itself. */
export function savesToSent(mode: SaveToSentMode, smtpHost: string): boolean {
  if (mode === 'on') return true;
  if (mode === 'off') return false;
  return !isGoogleMailHost(smtpHost);
}

// Providers whose IMAP host is not the SMTP host with "smtp" swapped for "imap".
const KNOWN_IMAP_HOSTS: Record<string, string> = {
  'smtp.office365.com': 'outlook.office365.com',
  'smtp-mail.outlook.com': 'outlook.office365.com',
  'smtp.mail.me.com': 'imap.mail.me.com',
};

/** IMAP settings guessed from the SMTP host: `smtp.example.com` → `imap.example.com`, SSL on 993. */
export function defaultImapSettings(smtpHost: string): ImapSettings {
  const host = smtpHost.trim().toLowerCase().replace(/\.$/, '');
  const known = KNOWN_IMAP_HOSTS[host];
  if (known) return { host: known, port: 993, security: 'ssl' };
  // Hosts such as mail.example.com usually serve SMTP and IMAP alike.
  const imapHost = /^smtp\./.test(host) ? `imap.${host.slice(5)}` : host;
  return { host: imapHost, port: 993, security: 'ssl' };
}

/** What the folder choice reads from a LIST entry (imapflow's ListResponse has these). */
export interface MailboxEntry {
  path: string;
  specialUse?: string;
  /** `extension`: the server flagged it; `name`: the client guessed it from the name. */
  specialUseSource?: 'user' | 'extension' | 'name';
  flags?: Set<string>;
}

/** Common names of the Sent folder, in the order they are tried when the server flags none. */
export const SENT_FOLDER_NAMES = [
  'Sent',
  'Sent Items',
  'Sent Messages',
  'Sent Mail',
  '[Gmail]/Sent Mail',
  '[Google Mail]/Sent Mail',
  'INBOX.Sent',
  'INBOX/Sent',
  'INBOX.Sent Items',
  'INBOX.Sent Messages',
  'Enviados',
  'Itens Enviados',
  'Elementos enviados',
  'Mensajes enviados',
  'Gesendet',
  'Gesendete Elemente',
  'Gesendete Objekte',
  'Envoyés',
  'Éléments envoyés',
  'Messages envoyés',
  'Posta inviata',
  'Inviata',
  'Verzonden',
  'Verzonden items',
];

const selectable = (entry: MailboxEntry) =>
  !entry.flags || ![...entry.flags].some((f) => /^\\(noselect|nonexistent)$/i.test(f));

/**
 * The mailbox that holds sent mail: the one the server flags `\Sent` (RFC 6154), else the first
 * known name, else one the IMAP client guessed. Undefined when there is none.
 */
export function chooseSentFolder(entries: readonly MailboxEntry[]): string | undefined {
  const usable = entries.filter(selectable);
  const flagged = usable.find(
    (e) =>
      e.specialUse === '\\Sent' && e.specialUseSource !== 'name' && e.specialUseSource !== 'user',
  );
  if (flagged) return flagged.path;
  const byName = new Map(usable.map((e) => [e.path.normalize('NFC').toLowerCase(), e.path]));
  for (const name of SENT_FOLDER_NAMES) {
    const found = byName.get(name.normalize('NFC').toLowerCase());
    if (found) return found;
  }
  return usable.find((e) => e.specialUse === '\\Sent')?.path;
}
