import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { ParticipantsModule } from '../participants/participants.module';
import { TemplateEditorService } from './template-editor.service';
import { TemplatesModule } from './templates.module';

/** Editing a program's templates: validate and save, preview, and test sends. */
@Module({
  imports: [TemplatesModule, ParticipantsModule, NotificationsModule],
  providers: [TemplateEditorService],
  exports: [TemplateEditorService],
})
export class TemplateEditorModule {}
