import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  PreviewResponse,
  PreviewTemplateDto,
  PutTemplateDto,
  SendTestResponse,
  SendTestTemplateDto,
  TemplateListResponse,
  TemplateResponse,
} from './dto/template.dto';
import { TemplateEditorService } from './template-editor.service';
import { TemplateKeyPipe, TemplateLocalePipe } from './template-params';
import { TemplateTestSends } from './template-test-sends';

const KEY_PARAM = ApiParam({
  name: 'key',
  description:
    'A system key (verification, password-reset, password-changed, w9-required, payout-reminder, reward-earned, reward-pending, reward-denied, reward-reversed, reward-expiring), generic, or a key of your own: 1-64 of a-z 0-9 -.',
  example: 'spring-promo',
});
const LOCALE_PARAM = ApiParam({
  name: 'locale',
  description:
    'BCP 47 tag: language, optional script and region (en, es, pt-BR, es-419); any case.',
  example: 'es',
});

@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplatesController {
  constructor(
    private readonly editor: TemplateEditorService,
    private readonly testSends: TemplateTestSends,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      "Every key (system, generic, the program's own) with, per locale, whether the default or the program's version is used.",
  })
  @ApiResponse({ status: 200, type: TemplateListResponse })
  async list(@CurrentProgram() program: Program): Promise<TemplateListResponse> {
    return { items: await this.editor.list(program) };
  }

  @Get(':key/:locale')
  @KEY_PARAM
  @LOCALE_PARAM
  @ApiOperation({
    summary:
      'The template a reader of that locale gets: the override or the default, with the same fallback as sending.',
  })
  @ApiResponse({ status: 200, type: TemplateResponse })
  get(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Param('locale', TemplateLocalePipe) locale: string,
  ) {
    return this.editor.get(program, key, locale);
  }

  @Put(':key/:locale')
  @KEY_PARAM
  @LOCALE_PARAM
  @ApiOperation({
    summary:
      "Create or replace the program's template for one key and locale. A new key is the program's own, with the generic variables.",
    description:
      'A template that does not compile, names a variable the key does not have, puts a value in a URL, style, script or on* attribute, or goes over a limit (size, expressions, {{else if}} chain, nesting of blocks or sub-expressions) is a 400 TEMPLATE_INVALID with details [{ part, line, column, message }] (and limit, count, max for a limit).',
  })
  @ApiResponse({ status: 200, type: TemplateResponse, description: 'Replaced' })
  @ApiResponse({ status: 201, type: TemplateResponse, description: 'Created' })
  async put(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Param('locale', TemplateLocalePipe) locale: string,
    @Body() dto: PutTemplateDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TemplateResponse> {
    const { template, created } = await this.editor.put(program, key, locale, dto);
    res.status(created ? 201 : 200);
    return template;
  }

  @Delete(':key/:locale')
  @KEY_PARAM
  @LOCALE_PARAM
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Delete the program's template in that locale; the default (or generic) is used again. 404 when there was none.",
  })
  @ApiResponse({ status: 204 })
  remove(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Param('locale', TemplateLocalePipe) locale: string,
  ) {
    return this.editor.remove(program, key, locale);
  }

  @Post(':key/preview')
  @KEY_PARAM
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Render with a participant of the program, or with sample data and the given data, by the code that sends.',
    description:
      "422 TEMPLATE_RENDER_FAILED when the data does not fit the template; 422 TEMPLATE_RENDER_LIMIT when the program's template asks for more output, time or memory than one render may have (details[].limit).",
  })
  @ApiResponse({ status: 200, type: PreviewResponse })
  preview(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Body() dto: PreviewTemplateDto,
  ) {
    return this.editor.preview(program, key, dto);
  }

  @Post(':key/test')
  @KEY_PARAM
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Send the preview rendering to one address now, through the outbox; follow it in the message log.',
    description:
      "Only to the program's own addresses: a participant's, or the program's alertEmail or replyTo (else 422 TEST_RECIPIENT_NOT_ALLOWED); at most TEST_SENDS_PER_HOUR a program (else 429 RATE_LIMITED with Retry-After).",
  })
  @ApiResponse({ status: 202, type: SendTestResponse })
  sendTest(
    @CurrentProgram() program: Program,
    @Param('key', TemplateKeyPipe) key: string,
    @Body() dto: SendTestTemplateDto,
  ) {
    return this.editor.sendTest(program, key, dto, (to) =>
      this.testSends.assertAllowed(program, to),
    );
  }
}
