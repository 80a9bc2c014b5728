import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IntegrationsModule } from '../integrations/integrations.module';
import { MessagesModule } from '../messages/messages.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { RulesModule } from '../rules/rules.module';
import { SenderDomainsModule } from '../sender-domains/sender-domains.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { TaxModule } from '../tax/tax.module';
import { TemplateEditorModule } from '../templates/template-editor.module';
import { TemplatesModule } from '../templates/templates.module';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleHttpMiddleware } from './console-http.middleware';
import { ConsoleSession } from './console-session.entity';
import { ConsoleSessionGuard } from './console-session.guard';
import { ConsoleSessionsService } from './console-sessions.service';
import { ConsoleViews } from './console-views.service';
import { ConsoleAuthController } from './controllers/console-auth.controller';
import { ConsoleIntegrationsController } from './controllers/console-integrations.controller';
import { ConsoleMessagesController } from './controllers/console-messages.controller';
import { ConsoleParticipantsController } from './controllers/console-participants.controller';
import { ConsoleRulesController } from './controllers/console-rules.controller';
import { ConsoleSuppressionsController } from './controllers/console-suppressions.controller';
import { ConsoleTemplatesController } from './controllers/console-templates.controller';
import { IntegrationsPageService } from './pages/integrations-page.service';
import { MessagesPageService } from './pages/messages-page.service';
import { ParticipantsPageService } from './pages/participants-page.service';
import { RulesPageService } from './pages/rules-page.service';
import { SignInPageService } from './pages/sign-in-page.service';
import { SuppressionsPageService } from './pages/suppressions-page.service';
import { TemplateDrafts } from './pages/template-drafts';
import { TemplatesPageService } from './pages/templates-page.service';

const CONTROLLERS = [
  ConsoleAuthController,
  ConsoleIntegrationsController,
  ConsoleRulesController,
  ConsoleTemplatesController,
  ConsoleMessagesController,
  ConsoleSuppressionsController,
  ConsoleParticipantsController,
];

/** The marketers' web console at /console: server-rendered pages over the same services as the API. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ConsoleSession]),
    ProgramsModule,
    ParticipantsModule,
    IntegrationsModule,
    SenderDomainsModule,
    RulesModule,
    TemplatesModule,
    TemplateEditorModule,
    MessagesModule,
    SuppressionsModule,
    TaxModule,
  ],
  controllers: CONTROLLERS,
  providers: [
    ConsoleSessionsService,
    ConsoleSessionGuard,
    ConsoleExceptionFilter,
    ConsoleViews,
    SignInPageService,
    IntegrationsPageService,
    RulesPageService,
    TemplateDrafts,
    TemplatesPageService,
    MessagesPageService,
    SuppressionsPageService,
    ParticipantsPageService,
  ],
})
export class ConsoleModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // By path, not by controller: one router layer instead of one per console route, which every
    // API request would otherwise be matched against first.
    consumer
      .apply(ConsoleHttpMiddleware)
      .forRoutes(
        { path: 'console', method: RequestMethod.ALL },
        { path: 'console/*path', method: RequestMethod.ALL },
      );
  }
}
