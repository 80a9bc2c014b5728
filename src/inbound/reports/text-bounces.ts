/**
 * Bounces without a machine-readable report, read from their human-readable text: the forms of
 * Exim ("The following address(es) failed:" blocks, "SMTP error from remote mail server after
 * RCPT TO:<x>: 550 ..."), qmail and Postfix ("<x>:" blocks with the remote server's reply), and
 * Dovecot's rejections ("Your message to <x> was automatically rejected:"). Line by line over a
 * capped text: no pattern here can backtrack across more than one line.
 */
import { refineStatus, type StatusSource } from './bounce-class';

export interface TextBounceRecipient {
  address: string;
  action: 'failed' | 'delayed';
  status: string;
  statusSource: StatusSource;
  diagnostic: string | null;
}

export const MAX_TEXT_SCAN = 256 * 1024;
const MAX_RECIPIENTS = 1000;
const MAX_DIAGNOSTIC = 1000;

const ADDRESS = /^[^\s<>@,;:"]{1,64}@[^\s<>@,;:"]{1,255}$/;
// Words of a warning, not of a failure: the MTA still retries.
const STILL_RETRYING =
  /THIS IS A WARNING ONLY|still being retried|will be retried|have not yet been delivered|has not yet been delivered|delivery (?:has been )?delayed|not been delivered yet/i;

function lines(text: string): string[] {
  return text.slice(0, MAX_TEXT_SCAN).split(/\r?\n/);
}

function recipient(
  address: string,
  detail: string,
  action: 'failed' | 'delayed',
  defaultStatus?: string,
): TextBounceRecipient {
  const diagnostic = detail.replace(/\s+/g, ' ').trim().slice(0, MAX_DIAGNOSTIC) || null;
  const read = refineStatus(null, diagnostic);
  // Nothing in the words either: the form's own meaning stands in (Dovecot's reject).
  const unread = read.source === 'inferred' && read.status === '5.0.0';
  return {
    address,
    action,
    status: unread
      ? action === 'delayed'
        ? '4.0.0'
        : (defaultStatus ?? read.status)
      : read.status,
    statusSource: read.source === 'inferred' ? 'inferred' : 'text',
    diagnostic,
  };
}

/** Exim: "  address" lines, each followed by its more indented explanation. */
function exim(all: string[], action: 'failed' | 'delayed'): TextBounceRecipient[] {
  const start = all.findIndex((l) =>
    /following address(?:\(es\)|es)? (?:failed|have not yet been delivered)/i.test(l),
  );
  if (start < 0) return [];
  const found: TextBounceRecipient[] = [];
  let address: string | null = null;
  let detail: string[] = [];
  const flush = () => {
    if (address) found.push(recipient(address, detail.join(' '), action));
    address = null;
    detail = [];
  };
  for (let i = start + 1; i < all.length && found.length < MAX_RECIPIENTS; i++) {
    const line = all[i];
    if (line.trim() === '') continue;
    const top = /^ {1,3}(\S.*)$/.exec(line);
    if (top) {
      const candidate = top[1].trim().replace(/^<|>$/g, '');
      if (ADDRESS.test(candidate)) {
        flush();
        address = candidate;
        continue;
      }
    }
    if (/^\s{4,}\S/.test(line) && address) {
      detail.push(line.trim());
      continue;
    }
    if (/^\S/.test(line)) break;
  }
  flush();
  return found;
}

/**
 * qmail and Postfix: a block that begins with "<address>:" (the reason on the same line or
 * the next ones) and runs to a blank line.
 */
function angleBlocks(all: string[], action: 'failed' | 'delayed'): TextBounceRecipient[] {
  const found: TextBounceRecipient[] = [];
  for (let i = 0; i < all.length && found.length < MAX_RECIPIENTS; i++) {
    const head = /^<([^<>\s]{3,320})>:\s*(.*)$/.exec(all[i]);
    if (!head || !ADDRESS.test(head[1])) continue;
    const detail = [head[2]];
    while (i + 1 < all.length && all[i + 1].trim() !== '' && !/^<[^<>\s]+>:/.test(all[i + 1])) {
      i++;
      if (/^-{2,}/.test(all[i])) break;
      detail.push(all[i].trim());
    }
    const text = detail.join(' ');
    // A block that names no cause is a list of addresses, not a bounce.
    if (
      !/\b[245]\d\d\b|\b[245]\.\d{1,3}\.\d{1,3}\b|said|error|reject|refused|timed out|unknown|exist|full|quota|deliver/i.test(
        text,
      )
    ) {
      continue;
    }
    found.push(recipient(head[1], text, action));
  }
  return found;
}

/** "SMTP error from remote mail server after RCPT TO:<x>: 550 ...", wherever it stands. */
function smtpErrorLines(all: string[], action: 'failed' | 'delayed'): TextBounceRecipient[] {
  const found: TextBounceRecipient[] = [];
  for (let i = 0; i < all.length && found.length < MAX_RECIPIENTS; i++) {
    const m = /after RCPT TO:\s*<([^<>\s]{3,320})>:?\s*(.*)$/i.exec(all[i]);
    if (!m || !ADDRESS.test(m[1])) continue;
    const detail = [m[2]];
    // The reply may continue on the next lines (Exim folds it).
    for (let j = i + 1; j < all.length && j <= i + 5 && /^\s+\S/.test(all[j]); j++) {
      detail.push(all[j].trim());
    }
    found.push(recipient(m[1], detail.join(' '), action));
  }
  return found;
}

/** Dovecot LDA/LMTP (quota, Sieve reject): "Your message to <x> was automatically rejected:". */
function dovecot(all: string[]): TextBounceRecipient[] {
  const found: TextBounceRecipient[] = [];
  for (let i = 0; i < all.length && found.length < MAX_RECIPIENTS; i++) {
    const m = /^Your message to <([^<>\s]{3,320})> was automatically rejected:\s*(.*)$/.exec(
      all[i],
    );
    if (!m || !ADDRESS.test(m[1])) continue;
    const reason = [m[2]];
    for (let j = i + 1; j < all.length && j <= i + 20 && all[j].trim() !== ''; j++) {
      if (/^--/.test(all[j])) break;
      reason.push(all[j].trim());
    }
    // Without a code, a rejection that is not about space is the recipient's own refusal
    // (a Sieve reject): a policy, as Dovecot's protocol-level reject says with 5.7.1.
    found.push(recipient(m[1], reason.join(' '), 'failed', '5.7.1'));
  }
  return found;
}

/** Recipients a bounce's text names, with the status read from it; [] when none is readable. */
export function readTextBounce(text: string | null): TextBounceRecipient[] {
  if (!text) return [];
  const all = lines(text);
  const action: 'failed' | 'delayed' = STILL_RETRYING.test(text.slice(0, MAX_TEXT_SCAN))
    ? 'delayed'
    : 'failed';
  for (const read of [
    dovecot,
    (l: string[]) => exim(l, action),
    (l: string[]) => angleBlocks(l, action),
    (l: string[]) => smtpErrorLines(l, action),
  ]) {
    const found = read(all);
    if (found.length > 0) return dedupe(found);
  }
  return [];
}

function dedupe(list: TextBounceRecipient[]): TextBounceRecipient[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const key = r.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
