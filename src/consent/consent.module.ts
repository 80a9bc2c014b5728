import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { MessagesModule } from '../messages/messages.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { TemplatesModule } from '../templates/templates.module';
import { ConsentCoreModule } from './consent-core.module';
import { ConsentService } from './consent.service';

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
  ],
  providers: [ConsentService],
  exports: [ConsentService, ConsentCoreModule],
})
export class ConsentModule {}
