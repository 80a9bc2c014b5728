import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ParticipantsModule } from '../participants/participants.module';
import { TemplateEditorService } from './template-editor.service';
import { TemplateOverrideEntity } from './template-override.entity';
import { TemplateOverrideStore } from './template-override.store';
import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';

/** Templates: rendering for every sender (TemplatesService) and the editing API. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([TemplateOverrideEntity]), ParticipantsModule],
  controllers: [TemplatesController],
  providers: [TemplateOverrideStore, TemplatesService, TemplateEditorService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
