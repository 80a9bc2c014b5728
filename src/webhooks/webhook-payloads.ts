import type { Message } from '../messages/message.entity';
import type { Reward } from '../rewards/reward.entity';
import { toRewardView } from '../rewards/rewards.service';
import type { WebhookEvent } from './webhook-events';

// What each event tells a receiver: ids to look things up by and the facts of the moment, never
// a message's content or a credential.

export function rewardCreated(reward: Reward): WebhookEvent {
  return {
    programId: reward.programId,
    type: 'reward.created',
    data: { reward: toRewardView(reward) },
    key: `reward.created:${reward.id}`,
  };
}

/** Which message an event is about, as every message event names it. */
function messageRef(message: Message) {
  return {
    id: message.id,
    template: message.templateKey,
    to: message.toEmail,
    participantId: message.participantId,
  };
}

/** message.sent or message.failed, when `patch` is the message's final outcome; null otherwise. */
export function messageOutcome(message: Message, patch: Partial<Message>): WebhookEvent | null {
  if (patch.status !== 'sent' && patch.status !== 'failed') return null;
  const type = patch.status === 'sent' ? 'message.sent' : 'message.failed';
  return {
    programId: message.programId,
    type,
    data: {
      message: {
        ...messageRef(message),
        status: patch.status,
        transport: patch.transport ?? null,
        attempts: message.attempts,
        ...(patch.status === 'sent'
          ? { messageId: patch.messageId ?? null, sentAt: patch.sentAt?.toISOString() ?? null }
          : {
              error: {
                code: patch.errorCode ?? null,
                message: patch.errorMessage ?? null,
                permanent: patch.errorPermanent ?? null,
              },
            }),
      },
    },
    // A message retried by hand ends again: each ending is its own event.
    key: `${type}:${message.id}:${message.attemptLog.length}`,
  };
}

/** A bounce or complaint reported back about a message the program sent. */
export function messageReport(
  type: 'message.bounced' | 'message.complained',
  message: Message,
  inboundId: string,
  report: Record<string, unknown>,
): WebhookEvent {
  return {
    programId: message.programId,
    type,
    data: {
      message: messageRef(message),
      inboundMessageId: inboundId,
      ...report,
    },
    key: `${type}:${inboundId}:${message.id}`,
  };
}

export function participantUnsubscribed(
  ref: { programId: string; participantId: string; category: string },
  source: string,
  at: Date,
): WebhookEvent {
  return {
    programId: ref.programId,
    type: 'participant.unsubscribed',
    data: {
      participantId: ref.participantId,
      category: ref.category,
      source,
      changedAt: at.toISOString(),
    },
    key: `participant.unsubscribed:${ref.participantId}:${ref.category}:${at.toISOString()}`,
  };
}

export function w9Required(
  programId: string,
  participantId: string,
  facts: { year: number; totalUsd: number; thresholdUsd: number; messageId: string },
): WebhookEvent {
  return {
    programId,
    type: 'w9.required',
    data: { participantId, ...facts },
    key: `w9.required:${participantId}:${facts.year}`,
  };
}

export function payoutReminderSent(
  programId: string,
  facts: { reminderId: string; participantId: string; rewardId: string; messageId: string },
): WebhookEvent {
  return {
    programId,
    type: 'payout_reminder.sent',
    data: facts,
    key: `payout_reminder.sent:${facts.reminderId}`,
  };
}

export function emailReceived(
  programId: string,
  facts: {
    inboundMessageId: string;
    participantId: string;
    from: string | null;
    subject: string | null;
    inReplyTo: string | null;
    answers: string | null;
  },
): WebhookEvent {
  return {
    programId,
    type: 'email.received',
    data: facts,
    key: `email.received:${facts.inboundMessageId}`,
  };
}

export function rewardStatusChanged(
  reward: Reward,
  previous: string,
  change: { reason: string | null; actor: string; at: Date } | undefined,
): WebhookEvent {
  const at = change?.at ?? reward.updatedAt;
  return {
    programId: reward.programId,
    type: 'reward.status_changed',
    data: {
      reward: toRewardView(reward),
      from: previous,
      to: reward.status,
      reason: change?.reason ?? null,
      actor: change?.actor ?? null,
      at: new Date(at).toISOString(),
    },
    key: `reward.status_changed:${reward.id}:${previous}:${reward.status}:${new Date(at).toISOString()}`,
  };
}

/** A rule's `webhook` action: the event that matched and its facts, to the endpoint it names. */
export function ruleWebhook(
  action: { endpoint: string; event?: string },
  effectKey: string,
  facts: {
    program: { id: string };
    event: {
      id: string;
      type: string;
      data: Record<string, unknown>;
      occurredAt: Date | string | null;
    };
    participant: { id: string; email: string };
    referrer: { id: string; email: string } | null;
    rule: { id: string; name: string; version: number };
  },
): WebhookEvent {
  const person = (p: { id: string; email: string } | null) =>
    p ? { id: p.id, email: p.email } : null;
  return {
    programId: facts.program.id,
    type: action.event ?? 'rule.matched',
    endpointId: action.endpoint,
    data: {
      event: {
        id: facts.event.id,
        type: facts.event.type,
        data: facts.event.data,
        occurredAt: facts.event.occurredAt ? new Date(facts.event.occurredAt).toISOString() : null,
      },
      participant: person(facts.participant),
      referrer: person(facts.referrer),
      rule: { id: facts.rule.id, name: facts.rule.name, version: facts.rule.version },
    },
    key: `rule:${effectKey}`,
  };
}
