/**
 * Replies in which a server says the account has sent too much for now: a daily quota (Gmail's
 * `550 5.4.5 Daily user sending limit exceeded`, Microsoft's `554 5.2.0 ...
 * SubmissionQuotaExceededException` and WASCL `RefuseQuota` verdicts) or a rate (Microsoft's
 * `4.3.2` throttling, Gmail's `421 4.7.0` and `4.7.28`). They are about the account, never about
 * the message or its recipient: the account is paused until the window of that kind ends, and
 * its messages wait rather than fail.
 */
export type QuotaWindow = 'minute' | 'day';

export interface QuotaReply {
  window: QuotaWindow;
  /** What the reply means, for a person. */
  what: string;
  /** The reply's code and enhanced status, e.g. `550 5.4.5`. */
  label: string;
  /** The reply as the server sent it (it may hold what the client sent: scrub before showing). */
  reply: string;
}

/** The parts of an SMTP reply (or of one refused recipient) that tell a quota reply. */
interface ReplyFacts {
  responseCode?: number;
  enhancedStatus?: string;
  reply: string;
  host: string;
}

interface QuotaRow {
  match(f: ReplyFacts): boolean;
  window: QuotaWindow;
  what: string;
}

const isGoogle = (f: ReplyFacts) =>
  /(^|\.)(gmail|googlemail|google)\.com$/.test(f.host) ||
  /gsmtp|support\.google\.com/i.test(f.reply);
const isMicrosoft = (f: ReplyFacts) =>
  /(^|\.)(office365\.com|outlook\.com)$/.test(f.host) ||
  /STOREDRV|ClientSubmit|WASCL|outlook\.com|protection\.outlook/i.test(f.reply);
// Replies about the recipient's mailbox (4.2.x, 5.2.x: full, receiving too fast) and addresses
// (x.1.x) are never the sending account's quota.
const aboutRecipient = (f: ReplyFacts) => /^[45]\.[12]\./.test(f.enhancedStatus ?? '');

// Ordered: the first row that matches decides.
const QUOTA_ROWS: readonly QuotaRow[] = [
  {
    match: (f) =>
      f.enhancedStatus === '5.4.5' ||
      /daily (user )?sending (quota|limit)|daily smtp relay limit/i.test(f.reply),
    window: 'day',
    what: "Google's daily sending limit for this account is reached",
  },
  {
    match: (f) => /SubmissionQuotaExceeded/i.test(f.reply),
    window: 'day',
    what: 'Microsoft 365 refused more mail from this mailbox: its sending quota is used up',
  },
  {
    match: (f) => /\bWASCL\b/i.test(f.reply),
    window: 'day',
    what: 'Microsoft 365 holds back mail from this mailbox: it has sent more than its limits allow (WASCL)',
  },
  {
    match: (f) => f.enhancedStatus === '4.3.2' && isMicrosoft(f),
    window: 'minute',
    what: 'Microsoft 365 is throttling this mailbox: it sends too fast or over too many connections',
  },
  {
    match: (f) => f.enhancedStatus === '4.7.28',
    window: 'minute',
    what: 'Google is rate-limiting mail from this account',
  },
  {
    match: (f) => f.responseCode === 421 && f.enhancedStatus === '4.7.0' && isGoogle(f),
    window: 'minute',
    what: 'Google asked to try again later: it is rate-limiting this account',
  },
  {
    // Other servers that say so in words.
    match: (f) =>
      !aboutRecipient(f) &&
      /(sending|submission|message) (rate|quota|limit)s? (is )?(exceeded|reached)|rate[- ]limit(ed|ing)?\b|throttl/i.test(
        f.reply,
      ),
    window: 'minute',
    what: 'The server is limiting how fast this account may send',
  },
];

export function quotaReplyOf(f: ReplyFacts): QuotaReply | null {
  const row = QUOTA_ROWS.find((r) => r.match(f));
  if (!row) return null;
  const label = [f.responseCode, f.enhancedStatus].filter(Boolean).join(' ');
  return { window: row.window, what: row.what, label, reply: f.reply };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function enhancedStatusOf(response: string): string | undefined {
  return /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/m.exec(response)?.[1];
}

function factsOf(entry: unknown, host: string): ReplyFacts | null {
  const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const response = str(e.response);
  if (!response) return null;
  const code =
    typeof e.responseCode === 'number'
      ? e.responseCode
      : Number(/^([45]\d\d)(?=[ -]|$)/.exec(response)?.[1]) || undefined;
  if (!code || code < 400) return null;
  return { responseCode: code, enhancedStatus: enhancedStatusOf(response), reply: response, host };
}

/**
 * The quota reply in a nodemailer error: its own reply, or the reply that refused a recipient
 * (Gmail may refuse at RCPT TO once the day's quota is used). Null for any other error.
 */
export function smtpQuotaReply(err: unknown, host: string | undefined): QuotaReply | null {
  const h = (host ?? '').toLowerCase().replace(/\.$/, '');
  const own = factsOf(err, h);
  const found = own ? quotaReplyOf(own) : null;
  if (found) return found;
  const rejected = (err as { rejectedErrors?: unknown } | null)?.rejectedErrors;
  if (!Array.isArray(rejected)) return null;
  for (const entry of rejected) {
    const facts = factsOf(entry, h);
    const quota = facts ? quotaReplyOf(facts) : null;
    if (quota) return quota;
  }
  return null;
}
