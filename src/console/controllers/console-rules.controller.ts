import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { RulesPageService } from '../pages/rules-page.service';

@ConsolePages()
@Controller('console/rules')
export class ConsoleRulesController {
  constructor(
    private readonly page: RulesPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async list(
    @Ctx() ctx: SignedInContext,
    @Query('notice') notice: unknown,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.list(ctx, notice));
  }

  @Post()
  async create(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.create(ctx, body));
  }

  @Get('new')
  newRule(@Ctx() ctx: SignedInContext, @Res() res: Response): void {
    this.views.send(res, ctx, this.page.newRule(ctx));
  }

  @Get('simulate')
  simulateForm(@Ctx() ctx: SignedInContext, @Res() res: Response): void {
    this.views.send(res, ctx, this.page.simulateForm(ctx));
  }

  @Post('simulate')
  async simulate(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.simulate(ctx, body));
  }

  @Get(':id')
  async edit(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.edit(ctx, id));
  }

  @Post(':id')
  async update(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.update(ctx, id, body));
  }

  @Post(':id/enabled')
  async setEnabled(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.setEnabled(ctx, id, body));
  }

  @Post(':id/delete')
  async remove(
    @Ctx() ctx: SignedInContext,
    @Param('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.remove(ctx, id));
  }
}
