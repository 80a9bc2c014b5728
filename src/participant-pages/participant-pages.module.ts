import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConsentModule } from '../consent/consent.module';
import { ParticipantAuthModule } from '../participant-auth/participant-auth.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { OneTimeLinks } from './one-time-links';
import { PageRateLimitGuard } from './page-rate-limit.guard';
import { ParticipantPageExceptionFilter } from './participant-page-exception.filter';
import { ParticipantPageViews } from './participant-page-views';
import { ParticipantPagesController } from './participant-pages.controller';
import { ParticipantPagesHttpMiddleware } from './participant-pages-http.middleware';
import { PasswordResetPage } from './password-reset-page.service';
import { PreferencesPage } from './preferences-page.service';
import { VerificationPage } from './verification-page.service';

/**
 * The hosted participant pages under /p: email verification, password reset and the preference
 * page behind unsubscribe links, server-rendered in the participant's language. The targets of
 * system emails' links for programs without a microsite of their own.
 */
@Module({
  imports: [ProgramsModule, ParticipantsModule, ParticipantAuthModule, ConsentModule],
  controllers: [ParticipantPagesController],
  providers: [
    ParticipantPageViews,
    ParticipantPageExceptionFilter,
    OneTimeLinks,
    VerificationPage,
    PasswordResetPage,
    PreferencesPage,
    PageRateLimitGuard,
  ],
})
export class ParticipantPagesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // By path, as the console does; a POST of /p/unsubscribe/:token is the one-click route
    // of consent, which answers mailbox providers and is left alone.
    consumer
      .apply(ParticipantPagesHttpMiddleware)
      .forRoutes(
        { path: 'p/verify', method: RequestMethod.ALL },
        { path: 'p/verify/*path', method: RequestMethod.ALL },
        { path: 'p/reset-password', method: RequestMethod.ALL },
        { path: 'p/reset-password/*path', method: RequestMethod.ALL },
        { path: 'p/preferences/*path', method: RequestMethod.ALL },
        { path: 'p/assets/*path', method: RequestMethod.GET },
        { path: 'p/unsubscribe/*path', method: RequestMethod.GET },
      );
  }
}
