import { parseDuration } from '../rewards/states/reward-durations';

export const FRAUD_MODES = ['off', 'observe', 'enforce'] as const;
export type FraudMode = (typeof FRAUD_MODES)[number];

export const FRAUD_ACTIONS = ['deny', 'hold'] as const;
export type FraudAction = (typeof FRAUD_ACTIONS)[number];

/** A program's `settings.fraud`, as stored (each part optional). */
export interface FraudSettings {
  mode: FraudMode;
  selfReferral?: { sameEmail?: boolean; sameIp?: boolean; sameDevice?: boolean };
  disposableDomains?: boolean;
  /** At most `count` rewards to one referrer per `per` (an ISO 8601 duration); null: no limit. */
  maxRewardsPerReferrer?: { count: number; per: string } | null;
  onMatch?: FraudAction;
}

/** The settings with every default filled in. */
export interface EffectiveFraudSettings {
  mode: FraudMode;
  selfReferral: { sameEmail: boolean; sameIp: boolean; sameDevice: boolean };
  disposableDomains: boolean;
  maxRewardsPerReferrer: { count: number; perSeconds: number } | null;
  onMatch: FraudAction;
}

/**
 * Defaults: checks that rarely catch an honest pair are on (same mailbox, same device,
 * disposable domain); the same IP is off, since a household or an office shares one address;
 * a match is held for review rather than denied, so a person decides.
 */
export function effectiveFraudSettings(
  settings: FraudSettings | null | undefined,
): EffectiveFraudSettings {
  const limit = settings?.maxRewardsPerReferrer;
  const per = limit ? parseDuration(limit.per) : null;
  return {
    mode: settings?.mode ?? 'off',
    selfReferral: {
      sameEmail: settings?.selfReferral?.sameEmail ?? true,
      sameIp: settings?.selfReferral?.sameIp ?? false,
      sameDevice: settings?.selfReferral?.sameDevice ?? true,
    },
    disposableDomains: settings?.disposableDomains ?? true,
    // Validated when saved; a stored value that no longer parses turns the limit off.
    maxRewardsPerReferrer:
      limit && per && 'seconds' in per ? { count: limit.count, perSeconds: per.seconds } : null,
    onMatch: settings?.onMatch ?? 'hold',
  };
}
