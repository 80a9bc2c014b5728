import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentHeaders } from './consent-headers';
import { ConsentPreference } from './consent-preference.entity';
import { ConsentStore } from './consent-store';
import { ConsentTokens } from './consent-tokens';
import { TemplateCategory } from './template-category.entity';

/**
 * What writing and sending an email need of consent (a category, whether the recipient left it,
 * the headers), with no dependency on events: the notifier and delivery import this, the rest of
 * consent lives in ConsentModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ConsentPreference, TemplateCategory])],
  providers: [ConsentStore, ConsentTokens, ConsentHeaders],
  exports: [ConsentStore, ConsentTokens, ConsentHeaders],
})
export class ConsentCoreModule {}
