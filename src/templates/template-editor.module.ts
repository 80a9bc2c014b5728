import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentCoreModule } from '../consent/consent-core.module';
import { Message } from '../messages/message.entity';
import { NotificationsModule } from '../notifications/notifications.module';
import { ParticipantsModule } from '../participants/participants.module';
import { TemplateEditorService } from './template-editor.service';
import { TemplateTestSends } from './template-test-sends';
import { TemplatesModule } from './templates.module';

/** Editing a program's templates: validate and save, preview, and test sends. */
@Module({
  imports: [
    TemplatesModule,
    ParticipantsModule,
    NotificationsModule,
    ConsentCoreModule,
    // The hourly count of test sends reads the program's outbox rows.
    TypeOrmModule.forFeature([Message]),
  ],
  providers: [TemplateEditorService, TemplateTestSends],
  exports: [TemplateEditorService, TemplateTestSends],
})
export class TemplateEditorModule {}
