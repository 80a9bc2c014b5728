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

/** message.sent or message.failed, when `patch` is the message's final outcome; null otherwise. */
export function messageOutcome(message: Message, patch: Partial<Message>): WebhookEvent | null {
  if (patch.status !== 'sent' && patch.status !== 'failed') return null;
  const type = patch.status === 'sent' ? 'message.sent' : 'message.failed';
  return {
    programId: message.programId,
    type,
    data: {
      message: {
        id: message.id,
        template: message.templateKey,
        to: message.toEmail,
        participantId: message.participantId,
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
