import type { EffectiveFraudSettings, FraudAction, FraudMode } from './fraud-settings';
import { isDisposableAddress } from './disposable-domains';
import { normaliseEmail } from './email-normalisation';

export const FRAUD_REASONS = [
  'SELF_REFERRAL_SAME_EMAIL',
  'SELF_REFERRAL_SAME_IP',
  'SELF_REFERRAL_SAME_DEVICE',
  'DISPOSABLE_DOMAIN',
  'VELOCITY_LIMIT',
] as const;
export type FraudReason = (typeof FRAUD_REASONS)[number];

/** What is known of one person of the event: the address, and the IPs and devices seen. */
export interface PersonSignals {
  email: string | null;
  ips: readonly string[];
  devices: readonly string[];
}

export interface FraudFacts {
  participant: PersonSignals;
  /** Null when the event has no referrer: there is no referral to check. */
  referrer: PersonSignals | null;
  /** The reward goes to the event's referrer (the velocity limit counts those). */
  toReferrer: boolean;
  /** The referrer's rewards as referrer inside the limit's window, this one not counted. */
  referrerRecentRewards: number;
}

/** What the checks found, as kept on the reward and shown on the event. */
export interface FraudVerdict {
  mode: Exclude<FraudMode, 'off'>;
  verdict: 'clear' | 'match';
  reasons: FraudReason[];
  /** What was done: nothing (observe mode, or clear), the reward denied, or held for review. */
  action: 'none' | FraudAction;
}

/** The checks a reward trips, in the order of FRAUD_REASONS. Pure. */
export function fraudReasons(settings: EffectiveFraudSettings, facts: FraudFacts): FraudReason[] {
  const reasons: FraudReason[] = [];
  const trip = (code: FraudReason) => reasons.push(code);
  const { participant, referrer } = facts;
  if (referrer) {
    const { sameEmail, sameIp, sameDevice } = settings.selfReferral;
    if (
      sameEmail &&
      participant.email &&
      referrer.email &&
      normaliseEmail(participant.email) === normaliseEmail(referrer.email)
    )
      trip('SELF_REFERRAL_SAME_EMAIL');
    if (sameIp && overlaps(participant.ips.map(normaliseIp), referrer.ips.map(normaliseIp)))
      trip('SELF_REFERRAL_SAME_IP');
    if (sameDevice && overlaps(participant.devices, referrer.devices))
      trip('SELF_REFERRAL_SAME_DEVICE');
  }
  if (
    settings.disposableDomains &&
    [participant.email, referrer?.email].some((e) => !!e && isDisposableAddress(e))
  )
    trip('DISPOSABLE_DOMAIN');
  const limit = settings.maxRewardsPerReferrer;
  if (limit && facts.toReferrer && facts.referrerRecentRewards >= limit.count)
    trip('VELOCITY_LIMIT');
  return reasons;
}

/** The verdict of a reward under the program's settings; null when the checks are off. */
export function fraudVerdict(
  settings: EffectiveFraudSettings,
  facts: FraudFacts,
): FraudVerdict | null {
  if (settings.mode === 'off') return null;
  const reasons = fraudReasons(settings, facts);
  const match = reasons.length > 0;
  return {
    mode: settings.mode,
    verdict: match ? 'match' : 'clear',
    reasons,
    action: match && settings.mode === 'enforce' ? settings.onMatch : 'none',
  };
}

/** An IPv4 address written as IPv6 (`::ffff:203.0.113.7`) is the IPv4 address; case ignored. */
export function normaliseIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped ? mapped[1] : lower;
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const seen = new Set(a);
  return b.some((x) => seen.has(x));
}

/** How a verdict changes the state a reward would be written in (the simulation shows it). */
export function fraudState(verdict: FraudVerdict): {
  status?: 'pending' | 'denied';
  pendingReason?: 'FRAUD_REVIEW';
} {
  if (verdict.action === 'deny') return { status: 'denied' };
  if (verdict.action === 'hold') return { status: 'pending', pendingReason: 'FRAUD_REVIEW' };
  return {};
}
