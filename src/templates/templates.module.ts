import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TemplateOverrideEntity } from './template-override.entity';
import { TemplateOverrideStore } from './template-override.store';
import { TemplatesService } from './templates.service';

/** Rendering for every sender: a program's override or the default, in the best locale. */
@Module({
  imports: [TypeOrmModule.forFeature([TemplateOverrideEntity])],
  providers: [TemplateOverrideStore, TemplatesService],
  exports: [TemplatesService, TemplateOverrideStore],
})
export class TemplatesModule {}
