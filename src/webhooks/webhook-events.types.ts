/** Every event a webhook endpoint can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'reward.created',
  'reward.status_changed',
  'message.sent',
  'message.failed',
  'message.bounced',
  'message.complained',
  'participant.unsubscribed',
  'w9.required',
  'payout_reminder.sent',
  'email.received',
  // Sent only by a rule's `webhook` action that names no other event.
  'rule.matched',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
