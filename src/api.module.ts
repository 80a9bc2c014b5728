import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConsoleModule } from './console/console.module';
import { ConsentModule } from './consent/consent.module';
import { PreferencesController } from './consent/preferences.controller';
import { TemplateSettingsController } from './consent/template-settings.controller';
import { UnsubscribeController } from './consent/unsubscribe.controller';
import { EventsController } from './events/events.controller';
import { EventsModule } from './events/events.module';
import { InboundController } from './inbound/inbound.controller';
import { InboundModule } from './inbound/inbound.module';
import { InboundMailboxController } from './inbound/mailbox/inbound-mailbox.controller';
import { InboundMailboxModule } from './inbound/mailbox/inbound-mailbox.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { OAuthCallbackController } from './integrations/oauth/oauth-callback.controller';
import { OAuthController } from './integrations/oauth/oauth.controller';
import { SenderIdentitiesController } from './integrations/sender-identities.controller';
import { SmtpIntegrationController } from './integrations/smtp-integration.controller';
import { MessagesController } from './messages/messages.controller';
import { MessagesModule } from './messages/messages.module';
import { ParticipantAuthModule } from './participant-auth/participant-auth.module';
import { ParticipantPagesModule } from './participant-pages/participant-pages.module';
import { PublicController } from './participant-auth/public.controller';
import { PublicRateLimitModule } from './participant-auth/rate-limit/public-rate-limit.module';
import { ParticipantsController } from './participants/participants.controller';
import { ParticipantsModule } from './participants/participants.module';
import { ApiKeyGuard } from './programs/auth/api-key.guard';
import { OperatorProgramsController } from './programs/operator-programs.controller';
import { ProgramsController } from './programs/programs.controller';
import { ProgramsModule } from './programs/programs.module';
import { RewardsController } from './rewards/rewards.controller';
import { RewardsModule } from './rewards/rewards.module';
import { RulesController } from './rules/rules.controller';
import { RulesModule } from './rules/rules.module';
import { SenderDomainController } from './sender-domains/sender-domain.controller';
import { SenderDomainsModule } from './sender-domains/sender-domains.module';
import { SuppressionsController } from './suppressions/suppressions.controller';
import { SuppressionsModule } from './suppressions/suppressions.module';
import { TaxSummaryController } from './tax/tax-summary.controller';
import { TaxModule } from './tax/tax.module';
import { TemplateEditorModule } from './templates/template-editor.module';
import { TemplatesController } from './templates/templates.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksModule } from './webhooks/webhooks.module';
import { CodePoolsController } from './code-pools/code-pools.controller';
import { CodePoolsModule } from './code-pools/code-pools.module';

/**
 * What an API process serves: the HTTP API under /v1 (every route checked by the key guard),
 * the public routes for microsites, and the console. It queues jobs and runs none.
 */
@Module({
  imports: [
    ProgramsModule,
    ParticipantsModule,
    EventsModule,
    RulesModule,
    RewardsModule,
    TaxModule,
    MessagesModule,
    IntegrationsModule,
    SenderDomainsModule,
    SuppressionsModule,
    TemplateEditorModule,
    ParticipantAuthModule,
    PublicRateLimitModule,
    InboundModule,
    InboundMailboxModule,
    ConsoleModule,
    ConsentModule,
    ParticipantPagesModule,
    WebhooksModule,
    CodePoolsModule,
  ],
  // Express tries routes in this order: the ingest route, the busiest by far, comes first.
  controllers: [
    EventsController,
    ProgramsController,
    OperatorProgramsController,
    ParticipantsController,
    PreferencesController,
    RulesController,
    RewardsController,
    TaxSummaryController,
    MessagesController,
    SuppressionsController,
    SmtpIntegrationController,
    SenderIdentitiesController,
    OAuthController,
    OAuthCallbackController,
    SenderDomainController,
    // Before TemplatesController: `:key/settings` is not `:key/:locale`.
    TemplateSettingsController,
    TemplatesController,
    UnsubscribeController,
    PublicController,
    InboundController,
    InboundMailboxController,
    WebhooksController,
    CodePoolsController,
  ],
  providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class ApiModule {}
