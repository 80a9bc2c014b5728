import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { TemplatesPageService, type DraftPreview } from '../pages/templates-page.service';

@ConsolePages()
@Controller('console/templates')
export class ConsoleTemplatesController {
  constructor(
    private readonly page: TemplatesPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async list(@Ctx() ctx: SignedInContext, @Res() res: Response): Promise<void> {
    this.views.send(res, ctx, await this.page.list(ctx));
  }

  @Get('open')
  async open(
    @Ctx() ctx: SignedInContext,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.open(ctx, query));
  }

  @Get(':key/:locale')
  async edit(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Query('notice') notice: unknown,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.edit(ctx, key, locale, notice));
  }

  @Post(':key/:locale')
  async save(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.save(ctx, key, locale, body));
  }

  @Post(':key/:locale/reset')
  async reset(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.reset(ctx, key, locale));
  }

  @Post(':key/:locale/test')
  async test(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.sendTest(ctx, key, locale, body));
  }

  @Post(':key/:locale/preview')
  @HttpCode(200)
  preview(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Body() body: Record<string, unknown>,
  ): Promise<DraftPreview> {
    return this.page.preview(ctx, key, locale, body);
  }

  @Get(':key/:locale/preview-frame')
  async savedFrame(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.sendPreview(res, ctx, await this.page.previewDocument(ctx, key, locale));
  }

  @Post(':key/:locale/preview-frame')
  async draftFrame(
    @Ctx() ctx: SignedInContext,
    @Param('key') key: string,
    @Param('locale') locale: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.sendPreview(res, ctx, await this.page.previewDocument(ctx, key, locale, body));
  }
}
