/** How many messages one account may send: per minute and per day; null is no limit. */
export interface SendLimits {
  perMinute: number | null;
  perDay: number | null;
}

/** The highest limits a person may set: beyond them a limit would never bind. */
export const MAX_PER_MINUTE = 10_000;
export const MAX_PER_DAY = 1_000_000;

export const NO_LIMITS: SendLimits = { perMinute: null, perDay: null };

/** Whose documented defaults apply to an account nobody set limits on. */
export type SendLimitProvider =
  'microsoft-365' | 'gmail' | 'google-workspace' | 'google-workspace-relay';

/**
 * Where a limit in effect comes from: `set` on the account itself, `integration` (a sender
 * identity without its own takes the integration's), or `default` (the provider's documented
 * limit for an account at its SMTP host).
 */
export type SendLimitSource = 'set' | 'integration' | 'default';

export interface EffectiveSendLimits extends SendLimits {
  perMinuteSource: SendLimitSource | null;
  perDaySource: SendLimitSource | null;
  /** The provider recognised from the host, whose defaults fill in any limit not set. */
  provider: SendLimitProvider | null;
}

const CONSUMER_GMAIL = /@(gmail|googlemail)\.com$/i;

/**
 * The documented sending limits of the provider at `host`, for an account logging in as
 * `login`; null for every other server. Microsoft 365 (Exchange Online): 30 messages a minute
 * and 10,000 recipients a day per mailbox. Google: no per-minute figure; a day allows 500 for a
 * consumer @gmail.com account, 2,000 for a Google Workspace account, 10,000 per user through
 * Workspace's SMTP relay. Which Google account it is shows in the login's domain, so each gets
 * its own figure rather than one guess for both.
 */
export function providerLimits(
  host: string,
  login: string | null | undefined,
): { provider: SendLimitProvider; limits: SendLimits } | null {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === 'smtp.office365.com' || h.endsWith('.outlook.com'))
    return { provider: 'microsoft-365', limits: { perMinute: 30, perDay: 10_000 } };
  if (h === 'smtp-relay.gmail.com')
    return { provider: 'google-workspace-relay', limits: { perMinute: null, perDay: 10_000 } };
  if (h === 'smtp.gmail.com' || h === 'smtp.googlemail.com') {
    return CONSUMER_GMAIL.test(login ?? '')
      ? { provider: 'gmail', limits: { perMinute: null, perDay: 500 } }
      : { provider: 'google-workspace', limits: { perMinute: null, perDay: 2_000 } };
  }
  return null;
}

/**
 * The limits that hold for one account: each one as set on it, else (for a sender identity) as
 * set on the integration, else the provider's default. Each limit is decided on its own, so
 * setting only a per-minute limit on a Microsoft 365 mailbox keeps the daily default.
 */
export function effectiveSendLimits(account: {
  own: SendLimits;
  host: string;
  login: string | null | undefined;
  integration?: SendLimits;
}): EffectiveSendLimits {
  const defaults = providerLimits(account.host, account.login);
  const pick = (field: keyof SendLimits): [number | null, SendLimitSource | null] => {
    if (account.own[field] !== null) return [account.own[field], 'set'];
    const inherited = account.integration?.[field] ?? null;
    if (inherited !== null) return [inherited, 'integration'];
    const fallback = defaults?.limits[field] ?? null;
    return fallback !== null ? [fallback, 'default'] : [null, null];
  };
  const [perMinute, perMinuteSource] = pick('perMinute');
  const [perDay, perDaySource] = pick('perDay');
  return { perMinute, perDay, perMinuteSource, perDaySource, provider: defaults?.provider ?? null };
}

/** The limits as stored on an account row. */
export function ownLimits(row: {
  limitPerMinute: number | null;
  limitPerDay: number | null;
}): SendLimits {
  return { perMinute: row.limitPerMinute, perDay: row.limitPerDay };
}

export function hasLimits(limits: SendLimits): boolean {
  return limits.perMinute !== null || limits.perDay !== null;
}
