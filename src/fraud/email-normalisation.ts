/** Gmail answers to both names, and ignores dots in the local part. */
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * An address as the mailbox behind it: lower case; a `+tag` removed at every domain
 * (subaddressing, RFC 5233, which Gmail, Outlook, iCloud, Fastmail and most mail servers
 * deliver to the same mailbox); dots removed only at Gmail, where `j.doe` and `jdoe` are one
 * mailbox, and googlemail.com read as gmail.com. Elsewhere dots are part of the name:
 * `j.doe@example.com` and `jdoe@example.com` may be two people.
 */
export function normaliseEmail(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return trimmed;
  let local = trimmed.slice(0, at);
  let domain = trimmed.slice(at + 1).replace(/\.$/, '');
  const plus = local.indexOf('+');
  // A local part that starts with "+" has no tag to drop: it is the name itself.
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    domain = 'gmail.com';
    local = local.replace(/\./g, '');
  }
  return `${local}@${domain}`;
}

/** The domain of an address, lower case, without a trailing dot; null when there is none. */
export function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return null;
  return address
    .slice(at + 1)
    .trim()
    .toLowerCase()
    .replace(/\.$/, '');
}
