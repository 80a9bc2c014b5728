import { ConsoleSession } from '../console/console-session.entity';
import { ConsentPreference } from '../consent/consent-preference.entity';
import { TemplateCategory } from '../consent/template-category.entity';
import { SenderDomain } from '../sender-domains/sender-domain.entity';
import { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { OAuthGrant } from '../transports/oauth/oauth-grant.entity';
import { OAuthState } from '../integrations/oauth/oauth-state.entity';
import { InboundMessage } from '../inbound/inbound-message.entity';
import { InboundMailbox } from '../inbound/mailbox/inbound-mailbox.entity';
import { MessageEvent } from '../messages/message-event.entity';
import { Message } from '../messages/message.entity';
import { Suppression } from '../suppressions/suppression.entity';
import { Participant } from '../participants/participant.entity';
import { ProgramEvent } from '../events/event.entity';
import { Program } from '../programs/program.entity';
import { Reward } from '../rewards/reward.entity';
import { RuleRevision } from '../rules/rule-revision.entity';
import { Rule } from '../rules/rule.entity';
import { TemplateOverrideEntity } from '../templates/template-override.entity';
import { PayoutReminder } from '../payouts/payout-reminder.entity';
import { ParticipantToken } from '../participant-auth/tokens/participant-token.entity';
import { ParticipantTaxYear } from '../tax/participant-tax-year.entity';
import { RewardTransition } from '../rewards/states/reward-transition.entity';
import { SendLimitStateRow } from '../send-limits/send-limit-state.entity';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity';
import { CodePool } from '../code-pools/code-pool.entity';
import { PoolCode } from '../code-pools/pool-code.entity';

// Every entity the data source knows. Listed rather than globbed so builds and tests agree.
export const ENTITIES = [
  Program,
  Participant,
  Message,
  MessageEvent,
  InboundMessage,
  InboundMailbox,
  Suppression,
  TemplateOverrideEntity,
  SmtpIntegration,
  SenderIdentity,
  OAuthGrant,
  OAuthState,
  SenderDomain,
  ParticipantToken,
  ParticipantTaxYear,
  PayoutReminder,
  Rule,
  RuleRevision,
  ProgramEvent,
  Reward,
  RewardTransition,
  ConsoleSession,
  ConsentPreference,
  SendLimitStateRow,
  TemplateCategory,
  WebhookEndpoint,
  WebhookDelivery,
  CodePool,
  PoolCode,
];
