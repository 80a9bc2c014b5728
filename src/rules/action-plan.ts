import { SubCentAmountError } from '../common/money/cents';
import type { Participant } from '../participants/participant.entity';
import { taxableCentsOf } from '../rewards/reward-kinds';
import { effectKey } from './engine/effect-keys';
import { DEFAULT_REWARD_TEMPLATE, type RuleAction } from './engine/rule-types';
import type { FailedCondition } from './engine/rule-evaluator';
import type { FraudVerdict } from '../fraud/fraud-checks';

/** What became of one action of a matching rule; `would-write` only in a simulation. */
export interface ActionOutcome {
  index: number;
  type: 'email' | 'reward' | 'reverse-rewards' | 'webhook';
  /** Absent for reverse-rewards and webhook, which go to no one. */
  to?: 'participant' | 'referrer';
  recipientId: string | null;
  template?: string;
  kind?: string;
  amount?: number;
  currency?: string;
  outcome: 'written' | 'skipped' | 'would-write';
  /**
   * Why a skipped action did nothing, e.g. RECIPIENT_MISSING; on a written reward, why its email
   * was not (EMAIL_CAP_REACHED).
   */
  reason?: string;
  message?: string;
  rewardId?: string;
  /** The outbox message of an email action, or of a reward's email. */
  messageId?: string;
  /** True when an earlier run for this event had already written the effect. */
  duplicate?: boolean;
  /** A reward's state when written (or in a simulation, would be): pending or available. */
  status?: string;
  /** Why it is pending: HOLD, AWAITING_APPROVAL, CODE_POOL_EMPTY. */
  pendingReason?: string;
  /** When a held reward would be released. */
  releaseAt?: string;
  /** The reference taken from the event by `ref`. */
  reference?: string | null;
  /** A reward's fraud verdict, when the program runs the checks (recorded even in observe mode). */
  fraud?: FraudVerdict;
  /** reverse-rewards: the rewards this run reversed or cancelled. */
  reversed?: Array<{ rewardId: string; from: string; to: string }>;
  /** webhook: the endpoint, the event name it gets and its delivery (none when written before). */
  endpoint?: string;
  event?: string;
  webhookDeliveries?: number;
  /**
   * A reward with a code pool in a simulation: whether it would get a code now, or wait
   * (pending CODE_POOL_EMPTY); nothing is claimed.
   */
  codePool?: { id: string; outcome: 'would-get-code' | 'would-wait'; available: number };
  /** reverse-rewards in a simulation: the rewards it would change. */
  wouldReverse?: Array<{ rewardId: string; from: string; to: string }>;
}

/** One rule's part in an evaluation, as stored on the event and shown by simulate. */
export interface RuleResult {
  ruleId: string;
  ruleName: string;
  ruleVersion: number;
  matched: boolean;
  failedConditions: FailedCondition[];
  actions: ActionOutcome[];
  error?: { code: string; message: string };
}

export interface PlannedAction {
  index: number;
  action: RuleAction;
  recipient: Participant | null;
  /** Absent in a simulation, where there is no event yet. */
  effectKey?: string;
  skip?: { reason: 'RECIPIENT_MISSING' | 'INVALID_AMOUNT' | 'EMAIL_CAP_REACHED'; message: string };
  /** A reward that is written without its email: the recipient had all the emails one event may send. */
  emailSkip?: { reason: 'EMAIL_CAP_REACHED'; message: string };
}

/** Each action with its recipient and effect key, or the reason it cannot run. */
export function planActions(
  ruleId: string,
  actions: readonly RuleAction[],
  people: { participant: Participant; referrer: Participant | null },
  eventId?: string,
): PlannedAction[] {
  return actions.map((action, index) => {
    // It changes rewards already written, and sends no one anything.
    if (action.type === 'reverse-rewards' || action.type === 'webhook')
      return {
        index,
        action,
        recipient: null,
        ...(eventId ? { effectKey: effectKey(eventId, ruleId, index, action.type) } : {}),
      };
    const recipient = action.to === 'referrer' ? people.referrer : people.participant;
    if (!recipient) {
      return {
        index,
        action,
        recipient: null,
        skip: {
          reason: 'RECIPIENT_MISSING',
          message: `The action goes to the ${action.to}, and the event has none.`,
        },
      };
    }
    const invalid = subCentProblem(action);
    if (invalid)
      return { index, action, recipient, skip: { reason: 'INVALID_AMOUNT', message: invalid } };
    return {
      index,
      action,
      recipient,
      ...(eventId ? { effectKey: effectKey(eventId, ruleId, index, recipient.id) } : {}),
    };
  });
}

// A rule saved before USD amounts had to be whole cents may still hold a fraction of one; its
// reward is not written rather than rounded (money is never guessed), and the result says why.
function subCentProblem(action: RuleAction): string | undefined {
  if (action.type !== 'reward') return undefined;
  try {
    taxableCentsOf(action);
    return undefined;
  } catch (err) {
    if (!(err instanceof SubCentAmountError)) throw err;
    return `The reward's taxable amount ${err.amount} USD has a fraction of a cent; edit the rule to whole cents (at most 2 decimals).`;
  }
}

/** Whether the action sends its recipient an email when it runs. */
function sendsEmail(planned: PlannedAction): boolean {
  if (planned.skip || !planned.recipient) return false;
  const { action } = planned;
  if (action.type === 'reverse-rewards' || action.type === 'webhook') return false;
  return action.type === 'email' || action.email !== false;
}

/**
 * At most `max` emails to one recipient from one event, over all its matching rules in the order
 * they run: an email action past it is skipped, a reward past it is written without its email
 * (the reward is owed whatever the emails). Deterministic, so a retried evaluation caps the same.
 */
export function capEmails(runs: ReadonlyArray<{ actions: PlannedAction[] }>, max: number): void {
  const sent = new Map<string, number>();
  for (const run of runs) {
    for (const planned of run.actions) {
      if (!sendsEmail(planned)) continue;
      const id = planned.recipient!.id;
      const count = sent.get(id) ?? 0;
      if (count < max) {
        sent.set(id, count + 1);
        continue;
      }
      const to =
        planned.action.type === 'reverse-rewards' || planned.action.type === 'webhook'
          ? ''
          : planned.action.to;
      const why = `The ${to} already gets ${max} emails from this event, the most one event sends one person (MAX_EMAILS_PER_EVENT_RECIPIENT).`;
      if (planned.action.type === 'email') {
        planned.skip = { reason: 'EMAIL_CAP_REACHED', message: why };
      } else {
        planned.emailSkip = {
          reason: 'EMAIL_CAP_REACHED',
          message: `The reward was written; its email was not. ${why}`,
        };
      }
    }
  }
}

/** The outcome of a planned action without what running it produced. */
export function describeAction(planned: PlannedAction): Omit<ActionOutcome, 'outcome'> {
  const { action } = planned;
  if (action.type === 'reverse-rewards')
    return { index: planned.index, type: action.type, recipientId: null };
  if (action.type === 'webhook')
    return {
      index: planned.index,
      type: action.type,
      recipientId: null,
      endpoint: action.endpoint,
      event: action.event ?? 'rule.matched',
    };
  const base = {
    index: planned.index,
    type: action.type,
    to: action.to,
    recipientId: planned.recipient?.id ?? null,
  };
  if (action.type === 'email') return { ...base, template: action.template };
  return {
    ...base,
    kind: action.kind,
    amount: action.amount,
    currency: action.currency,
    ...(action.email !== false ? { template: action.template ?? DEFAULT_REWARD_TEMPLATE } : {}),
  };
}
