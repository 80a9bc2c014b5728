import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { IntegrationsPageService } from '../pages/integrations-page.service';

@ConsolePages()
@Controller('console/integrations')
export class ConsoleIntegrationsController {
  constructor(
    private readonly page: IntegrationsPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async show(
    @Ctx() ctx: SignedInContext,
    @Query('notice') notice: unknown,
    @Query('oauth') oauth: unknown,
    @Res() res: Response,
  ): Promise<void> {
    // Back from a provider's sign-in, connected (the callback says so).
    const shown = oauth === 'connected' ? 'oauth-connected' : notice;
    this.views.send(res, ctx, await this.page.showWithNotice(ctx, shown));
  }

  @Post('oauth')
  async startOAuth(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.startOAuth(ctx, body));
  }

  @Post('smtp')
  async connect(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.connect(ctx, body));
  }

  @Post('smtp/test')
  async test(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.sendSmtpTest(ctx, body));
  }

  @Post('smtp/disconnect')
  async disconnect(@Ctx() ctx: SignedInContext, @Res() res: Response): Promise<void> {
    this.views.send(res, ctx, await this.page.disconnect(ctx));
  }

  @Post('senders')
  async putSender(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.putSender(ctx, body));
  }

  @Post('senders/:senderId/test')
  async testSender(
    @Ctx() ctx: SignedInContext,
    @Param('senderId') senderId: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.sendSenderTest(ctx, senderId, body));
  }

  @Post('senders/:senderId/remove')
  async removeSender(
    @Ctx() ctx: SignedInContext,
    @Param('senderId') senderId: string,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.removeSender(ctx, senderId));
  }

  @Post('domain')
  async putDomain(
    @Ctx() ctx: SignedInContext,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.putDomain(ctx, body));
  }

  @Post('domain/verify')
  async verifyDomain(@Ctx() ctx: SignedInContext, @Res() res: Response): Promise<void> {
    this.views.send(res, ctx, await this.page.verifyDomain(ctx));
  }

  @Post('domain/remove')
  async removeDomain(@Ctx() ctx: SignedInContext, @Res() res: Response): Promise<void> {
    this.views.send(res, ctx, await this.page.removeDomain(ctx));
  }
}
