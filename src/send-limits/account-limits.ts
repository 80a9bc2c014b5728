import type { SenderIdentity } from '../transports/accounts/sender-identity.entity';
import type { SmtpIntegration } from '../transports/accounts/smtp-integration.entity';
import { limitsInEffectView } from './dto/send-limits.dto';
import { effectiveSendLimits, ownLimits, type EffectiveSendLimits } from './send-limits';

type IntegrationLimitFields = Pick<
  SmtpIntegration,
  'host' | 'username' | 'fromAddress' | 'limitPerMinute' | 'limitPerDay'
>;
type SenderLimitFields = Pick<SenderIdentity, 'email' | 'limitPerMinute' | 'limitPerDay'>;

/** The limits of the integration's own login: as set, else its provider's defaults. */
export function integrationLimits(i: IntegrationLimitFields): EffectiveSendLimits {
  return effectiveSendLimits({
    own: ownLimits(i),
    host: i.host,
    login: i.username ?? i.fromAddress,
  });
}

/** A sender identity's limits: its own, else the integration's, else its provider's defaults. */
export function senderLimits(
  s: SenderLimitFields,
  integration: IntegrationLimitFields,
): EffectiveSendLimits {
  return effectiveSendLimits({
    own: ownLimits(s),
    host: integration.host,
    login: s.email,
    integration: ownLimits(integration),
  });
}

/** What an integration's view says about its limits. */
export function integrationLimitsView(i: IntegrationLimitFields) {
  return { limits: ownLimits(i), limitsInEffect: limitsInEffectView(integrationLimits(i)) };
}

export function senderLimitsView(s: SenderLimitFields, integration: IntegrationLimitFields) {
  return {
    limits: ownLimits(s),
    limitsInEffect: limitsInEffectView(senderLimits(s, integration)),
  };
}
