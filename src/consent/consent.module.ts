import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import express, { type RequestHandler } from 'express';
import { bodyParserErrorHandler } from '../common/http/body-parsers';
import { EventsModule } from '../events/events.module';
import { MessagesModule } from '../messages/messages.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { TemplatesModule } from '../templates/templates.module';
import { ConsentCoreModule } from './consent-core.module';
import { ConsentService } from './consent.service';
import { WebhooksModule } from '../webhooks/webhooks.module';

/**
 * Consent: preferences per category, unsubscribe links and addresses, and the
 * participant.unsubscribed event. Its controllers are mounted by the API module.
 */
@Module({
  imports: [
    ConsentCoreModule,
    EventsModule,
    MessagesModule,
    ParticipantsModule,
    ProgramsModule,
    TemplatesModule,
    WebhooksModule,
  ],
  providers: [ConsentService],
  exports: [ConsentService, ConsentCoreModule],
})
export class ConsentModule implements NestModule {
  // The API takes JSON; a mailbox provider's one-click POST is a form (multipart is read by the
  // route's own interceptor).
  configure(consumer: MiddlewareConsumer): void {
    const parseForm = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
    // A body too large, compressed past the limit or unreadable answers the API's error body.
    const readForm: RequestHandler = (req, res, next) =>
      parseForm(req, res, (err?: unknown) =>
        err ? bodyParserErrorHandler(err, req, res, next) : next(),
      );
    consumer
      .apply(readForm)
      .forRoutes({ path: 'p/unsubscribe/:token', method: RequestMethod.POST });
  }
}
