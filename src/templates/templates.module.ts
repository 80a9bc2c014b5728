import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TemplateOverrideEntity } from './template-override.entity';
import { TemplateOverrideStore } from './template-override.store';
import { TemplateWorkerPool } from './template-worker-pool';
import { TemplatesService } from './templates.service';

/**
 * Rendering for every sender: a program's override or the default, in the best locale. A
 * program's own templates render and are checked in the worker threads of TemplateWorkerPool.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TemplateOverrideEntity])],
  providers: [TemplateOverrideStore, TemplateWorkerPool, TemplatesService],
  exports: [TemplatesService, TemplateOverrideStore],
})
export class TemplatesModule {}
