import { Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { MessagesPageService } from '../pages/messages-page.service';

@ConsolePages()
@Controller('console/messages')
export class ConsoleMessagesController {
  constructor(
    private readonly page: MessagesPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async list(
    @Ctx() ctx: SignedInContext,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.list(ctx, query));
  }

  @Get(':id')
  async detail(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Query('notice') notice: unknown,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.detail(ctx, id, notice));
  }

  @Get(':id/html')
  async html(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.sendPreview(res, ctx, await this.page.html(ctx, id));
  }

  @Post(':id/retry')
  async retry(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.retry(ctx, id));
  }
}
