import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { MessagesModule } from '../messages/messages.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { TemplatesModule } from '../templates/templates.module';
import { NotifyParticipant } from './notify-participant';

/** The one way an email to a participant is written. */
@Module({
  imports: [DatabaseModule, MessagesModule, SuppressionsModule, TemplatesModule],
  providers: [NotifyParticipant],
  exports: [NotifyParticipant],
})
export class NotificationsModule {}
