import { ProgramsParticipants1764000000000 } from './1764000000000-programs-participants';
import { Messages1764000000100 } from './1764000000100-messages';
import { Integrations1764000000200 } from './1764000000200-integrations';
import { TemplateOverrides1764000000300 } from './1764000000300-template-overrides';
import { RulesEventsRewards1764000000400 } from './1764000000400-rules-events-rewards';
import { Triggers1764000000500 } from './1764000000500-triggers';
import { ConsoleSessions1764000000700 } from './1764000000700-console-sessions';
import { MessageCategories1764000000800 } from './1764000000800-message-categories';
import { AlertsAndDomainGrace1764000000900 } from './1764000000900-alerts-and-domain-grace';
import { SenderEndpoints1764000001000 } from './1764000001000-sender-endpoints';
import { MoneyInCents1764000001100 } from './1764000001100-money-in-cents';
import { ParticipantAddresses1764000002000 } from './1764000002000-participant-addresses';
import { SealedLinks1764000002100 } from './1764000002100-sealed-links';
import { SuppressionReasons1764000003000 } from './1764000003000-suppression-reasons';
import { Inbound1764000004000 } from './1764000004000-inbound';
import { InboundMailboxes1764000005000 } from './1764000005000-inbound-mailboxes';
import { Consent1764000006000 } from './1764000006000-consent';
import { OAuth1764000007000 } from './1764000007000-oauth';
import { SendLimits1764000007500 } from './1764000007500-send-limits';
import { SearchIndexes1764000009000 } from './1764000009000-search-indexes';
import { RewardStates1764000010000 } from './1764000010000-reward-states';
import { Webhooks1764000011000 } from './1764000011000-webhooks';
import { CodePools1764000012000 } from './1764000012000-code-pools';
import { FraudChecks1764000013000 } from './1764000013000-fraud-checks';

// Every migration, in order. Listed rather than globbed so builds and tests load the same set.
export const MIGRATIONS = [
  ProgramsParticipants1764000000000,
  Messages1764000000100,
  Integrations1764000000200,
  TemplateOverrides1764000000300,
  RulesEventsRewards1764000000400,
  Triggers1764000000500,
  ConsoleSessions1764000000700,
  MessageCategories1764000000800,
  AlertsAndDomainGrace1764000000900,
  SenderEndpoints1764000001000,
  MoneyInCents1764000001100,
  ParticipantAddresses1764000002000,
  SealedLinks1764000002100,
  SuppressionReasons1764000003000,
  Inbound1764000004000,
  InboundMailboxes1764000005000,
  Consent1764000006000,
  OAuth1764000007000,
  SendLimits1764000007500,
  SearchIndexes1764000009000,
  RewardStates1764000010000,
  Webhooks1764000011000,
  CodePools1764000012000,
  FraudChecks1764000013000,
];
