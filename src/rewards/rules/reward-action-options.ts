// What a rule's reward action asks of the reward's life: hold, approval, expiry, reference and
// which emails go out. Pure: the evaluation and the simulation read the same answer.

import { parseFactPath, type PathSegment } from '../../rules/engine/fact-paths';
import {
  DEFAULT_REWARD_TEMPLATE,
  type RewardAction,
  type ReverseRewardsAction,
} from '../../rules/engine/rule-types';
import type { RewardEmailPlan } from '../reward.entity';
import { parseDuration } from '../states/reward-durations';
import type { PendingReason } from '../states/reward-states';

export interface RewardOptions {
  pending: { reason: PendingReason; releaseAt: Date | null } | null;
  reference: string | null;
  expiresAfterSeconds: number | null;
  emails: RewardEmailPlan;
}

// The rule was validated when saved: a duration that does not parse here is a bug.
function seconds(raw: string): number {
  const parsed = parseDuration(raw);
  if ('error' in parsed) throw new Error(`invalid duration in a saved rule: ${parsed.error}`);
  return parsed.seconds;
}

/** The options of a reward written at `now` for an event with `data`. */
export function rewardOptionsOf(action: RewardAction, data: unknown, now: Date): RewardOptions {
  const on = action.email !== false;
  const off = action.emails ?? {};
  let pending: RewardOptions['pending'] = null;
  if (action.approval === 'manual') pending = { reason: 'AWAITING_APPROVAL', releaseAt: null };
  else if (action.hold)
    pending = { reason: 'HOLD', releaseAt: new Date(now.getTime() + seconds(action.hold) * 1000) };
  return {
    pending,
    reference: action.ref ? referenceIn(data, action.ref) : null,
    expiresAfterSeconds: action.expiresAfter ? seconds(action.expiresAfter) : null,
    emails: {
      role: action.to,
      earned: on && off.earned !== false ? (action.template ?? DEFAULT_REWARD_TEMPLATE) : false,
      pending: on && off.pending !== false,
      denied: on && off.denied !== false,
      reversed: on && off.reversed !== false,
      expiring: on && off.expiring !== false && !!action.expiringEmailBefore,
      ...(action.expiringEmailBefore
        ? { expiringBeforeSeconds: seconds(action.expiringEmailBefore) }
        : {}),
    },
  };
}

/** The reference reverse-rewards looks for, or null when the event does not carry it. */
export function reversalReference(action: ReverseRewardsAction, data: unknown): string | null {
  return referenceIn(data, action.ref);
}

const MAX_REFERENCE_LENGTH = 200;

/** A string or number at `path` in the event's data, as text; null when absent or not a scalar. */
export function referenceIn(data: unknown, path: string): string | null {
  const parsed = parseFactPath(path);
  if ('error' in parsed) return null;
  const value = read(data, parsed.segments);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_REFERENCE_LENGTH)
    return value;
  return null;
}

function read(data: unknown, segments: readonly PathSegment[]): unknown {
  let at: unknown = data;
  for (const seg of segments) {
    if (at === null || typeof at !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(at, seg)) return undefined;
    at = (at as Record<string | number, unknown>)[seg];
  }
  return at;
}
