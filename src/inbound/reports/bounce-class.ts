/**
 * What a reported status means for the recipient: RFC 3463 enhanced status codes, refined by
 * the diagnostic text where the code alone is ambiguous (5.0.0, 5.4.4, 5.7.1).
 */
export type BounceClass = 'hard' | 'soft' | 'policy' | 'sender' | 'delayed';

const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const BASIC_REPLY = /(?:^|[^\d.])([245])(\d\d)(?:[ -]|$)/;

/** The first enhanced status code (`5.1.1`) in a text, or null. */
export function enhancedCodeIn(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = ENHANCED.exec(text.slice(0, 4096));
  return m ? `${m[1]}.${m[2]}.${m[3]}` : null;
}

/** The first SMTP reply code (`550`) in a text, or null. */
export function replyCodeIn(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = BASIC_REPLY.exec(text.slice(0, 4096));
  return m ? `${m[1]}${m[2]}` : null;
}

/**
 * The most precise status a report gives: the Status field, unless it is a generic x.0.0 and the
 * diagnostic carries a specific code of the same class (Exim writes `Status: 5.0.0` with the
 * remote server's `550 5.1.1` in Diagnostic-Code); without any, the reply code's class.
 */
export function refineStatus(
  status: string | null,
  diagnostic: string | null,
): { status: string; source: StatusSource } {
  const fromStatus = enhancedCodeIn(status);
  const fromDiagnostic = enhancedCodeIn(diagnostic);
  if (fromStatus) {
    if (
      fromDiagnostic &&
      /^\d\.0\.0$/.test(fromStatus) &&
      fromDiagnostic[0] === fromStatus[0] &&
      fromDiagnostic !== fromStatus
    ) {
      return { status: fromDiagnostic, source: 'diagnostic' };
    }
    return { status: fromStatus, source: 'status' };
  }
  if (fromDiagnostic) return { status: fromDiagnostic, source: 'diagnostic' };
  const inferred = inferStatus(diagnostic);
  if (inferred) return { status: inferred, source: 'inferred' };
  const reply = replyCodeIn(diagnostic);
  if (reply) return { status: `${reply[0]}.0.0`, source: 'diagnostic' };
  return { status: '5.0.0', source: 'inferred' };
}

/** Where `status` came from: the Status field, the diagnostic's code, or read from words alone. */
export type StatusSource = 'status' | 'diagnostic' | 'text' | 'inferred';

// Diagnostics that name the cause without an enhanced code.
const NO_SUCH_USER =
  /\b(?:user unknown|unknown user|no such (?:user|mailbox|recipient)|user (?:does not|doesn't) exist|(?:mailbox|recipient|address|account) (?:does not|doesn't) exist|invalid (?:recipient|mailbox)|unknown (?:recipient|mailbox)|not a valid (?:user|mailbox))\b/i;
const NO_SUCH_DOMAIN =
  /\b(?:host (?:or domain name )?not found|no such domain|domain (?:not found|does not exist)|name service error|nxdomain|unrouteable (?:address|domain)|no mx|null mx)\b/i;
const MAILBOX_FULL =
  /\b(?:quota exceeded|over ?quota|mailbox (?:is )?full|mailbox for user is full|insufficient (?:system )?storage|exceeded storage allocation)\b/i;
const SPAM_OR_REPUTATION =
  /\b(?:spam|blocked|block ?list|black ?list|blacklisted|reputation|rbl|dnsbl|spamhaus|barracuda|abuse|junk|bulk mail|poor reputation|policy)\b/i;
const ABOUT_THE_SENDER =
  /\b(?:spf|dkim|dmarc|sender (?:address |domain )?(?:rejected|unknown|not authori[sz]ed|verify failed)|sender address|unauthenticated|authentication (?:required|failed)|not authori[sz]ed to send|relay(?:ing)? (?:access )?denied|reverse dns|ptr record|sending (?:ip|host|domain)|return path|mail from)\b/i;

function inferStatus(diagnostic: string | null): string | null {
  if (!diagnostic) return null;
  const reply = replyCodeIn(diagnostic);
  const permanent = reply ? reply[0] === '5' : true;
  if (MAILBOX_FULL.test(diagnostic)) return permanent ? '5.2.2' : '4.2.2';
  if (!permanent) return null;
  if (NO_SUCH_USER.test(diagnostic)) return '5.1.1';
  if (NO_SUCH_DOMAIN.test(diagnostic)) return '5.1.2';
  return null;
}

/**
 * The class of one recipient's outcome.
 * - `delayed`: Action delayed (still being retried); also what is not a failure at all
 *   (delivered, relayed, expanded), since there is nothing to act on.
 * - `sender`: about our side (5.1.7, 5.1.8, 5.7.x naming the sender, SPF/DKIM/DMARC, relaying):
 *   never a reason to suppress the recipient.
 * - `hard`: the address does not exist (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.4.4 for a domain
 *   that is not there, and 5.0.0 whose diagnostic says so).
 * - `policy`: refused by the recipient's policy (5.7.x: spam, reputation, blocked).
 * - `soft`: everything else that failed: 4.x.x, 5.2.x (mailbox full), failed transient ones.
 */
export function classify(action: string, status: string, diagnostic: string | null): BounceClass {
  const act = action.toLowerCase();
  if (act !== 'failed') return 'delayed';
  const [klass, subject, detail] = status.split('.').map((n) => Number(n));
  const diag = diagnostic ?? '';
  if (klass !== 5) return 'soft';
  if (subject === 1 && (detail === 7 || detail === 8)) return 'sender';
  if (subject === 7) {
    if (ABOUT_THE_SENDER.test(diag) || [23, 24, 25, 26, 27, 30].includes(detail)) return 'sender';
    return 'policy';
  }
  if (subject === 1 && [1, 2, 3, 6, 10].includes(detail)) return 'hard';
  if (subject === 4 && detail === 4) return NO_SUCH_DOMAIN.test(diag) ? 'hard' : 'soft';
  if (subject === 2) return 'soft';
  if (subject === 0 || subject === 1) {
    if (ABOUT_THE_SENDER.test(diag)) return 'sender';
    if (MAILBOX_FULL.test(diag)) return 'soft';
    if (NO_SUCH_USER.test(diag) || NO_SUCH_DOMAIN.test(diag)) return 'hard';
    if (SPAM_OR_REPUTATION.test(diag)) return 'policy';
  }
  return 'soft';
}
