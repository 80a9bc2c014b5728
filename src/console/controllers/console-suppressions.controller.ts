import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { SuppressionsPageService } from '../pages/suppressions-page.service';

@ConsolePages()
@Controller('console/suppressions')
export class ConsoleSuppressionsController {
  constructor(
    private readonly page: SuppressionsPageService,
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

  @Post()
  async add(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.add(ctx, body));
  }

  @Post('lift')
  async lift(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.lift(ctx, body));
  }
}
