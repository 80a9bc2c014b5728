import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { TemplateKeyPipe } from '../templates/template-params';
import { ConsentService } from './consent.service';
import { PutTemplateSettingsDto, TemplateSettingsResponse } from './dto/consent.dto';

const KEY_PARAM = ApiParam({
  name: 'key',
  description: 'reward-earned, generic, or a key of the program (transactional keys are fixed).',
  example: 'spring-promo',
});

/**
 * Settings of a template key as a whole, across its locales: its category. Mounted before the
 * templates controller, so `settings` is never read as a locale.
 */
@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplateSettingsController {
  constructor(private readonly consent: ConsentService) {}

  @Get(':key/settings')
  @KEY_PARAM
  @ApiOperation({ summary: 'The category of every email of this key.' })
  @ApiResponse({ status: 200, type: TemplateSettingsResponse })
  get(@CurrentProgram() program: Program, @Param('key', TemplateKeyPipe) key: string) {
    return this.consent.templateCategory(program, key);
  }

  @Put(':key/settings')
  @KEY_PARAM
  @ApiOperation({
    summary:
      'Give the key a category of its own, e.g. { "category": "newsletter" }: participants leave and join categories, and the preference page lists each one.',
    description:
      '422 CATEGORY_FIXED for a transactional key; 400 CATEGORY_NOT_ALLOWED for "transactional"; 404 TEMPLATE_NOT_FOUND for a key the program has no template of.',
  })
  @ApiResponse({ status: 200, type: TemplateSettingsResponse })
  put(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Body() dto: PutTemplateSettingsDto,
  ) {
    return this.consent.setTemplateCategory(program, key, dto.category);
  }
}
