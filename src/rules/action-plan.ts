import type { Participant } from '../participants/participant.entity';
import { effectKey } from './engine/effect-keys';
import { DEFAULT_REWARD_TEMPLATE, type RuleAction } from './engine/rule-types';
import type { FailedCondition } from './engine/rule-evaluator';

/** What became of one action of a matching rule; `would-write` only in a simulation. */
export interface ActionOutcome {
  index: number;
  type: 'email' | 'reward';
  to: 'participant' | 'referrer';
  recipientId: string | null;
  template?: string;
  kind?: string;
  amount?: number;
  currency?: string;
  outcome: 'written' | 'skipped' | 'would-write';
  /** Why a skipped action did nothing, e.g. RECIPIENT_MISSING. */
  reason?: string;
  message?: string;
  rewardId?: string;
  /** The outbox message of an email action, or of a reward's email. */
  messageId?: string;
  /** True when an earlier run for this event had already written the effect. */
  duplicate?: boolean;
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
  skip?: { reason: 'RECIPIENT_MISSING'; message: string };
}

/** Each action with its recipient and effect key, or the reason it cannot run. */
export function planActions(
  ruleId: string,
  actions: readonly RuleAction[],
  people: { participant: Participant; referrer: Participant | null },
  eventId?: string,
): PlannedAction[] {
  return actions.map((action, index) => {
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
    return {
      index,
      action,
      recipient,
      ...(eventId ? { effectKey: effectKey(eventId, ruleId, index, recipient.id) } : {}),
    };
  });
}

/** The outcome of a planned action without what running it produced. */
export function describeAction(planned: PlannedAction): Omit<ActionOutcome, 'outcome'> {
  const { action } = planned;
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
