import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { ConsoleRequest, Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleSessionGuard } from '../console-session.guard';
import { ConsoleViews } from '../console-views.service';
import { SignInPageService } from '../pages/sign-in-page.service';

@ConsolePages({ signedIn: false })
@Controller('console')
export class ConsoleAuthController {
  constructor(
    private readonly signIn: SignInPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  @UseGuards(ConsoleSessionGuard)
  home(@Ctx() ctx: SignedInContext, @Res() res: Response): void {
    this.views.send(res, ctx, { redirect: '/console/integrations' });
  }

  @Get('sign-in')
  showSignIn(
    @Req() req: ConsoleRequest,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): void {
    const { ctx, result } = this.signIn.show(req, query);
    this.views.send(res, ctx, result);
  }

  @Post('sign-in')
  async submitSignIn(
    @Req() req: ConsoleRequest,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const { ctx, result } = await this.signIn.submit(req, body);
    this.views.send(res, ctx, result);
  }

  @Post('sign-out')
  @UseGuards(ConsoleSessionGuard)
  async signOut(
    @Req() req: ConsoleRequest,
    @Ctx() ctx: SignedInContext,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.signIn.signOut(req, ctx));
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const asset = this.views.asset(file);
    if (!asset) throw new NotFoundException('No such console file.');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(asset.type).send(asset.body);
  }
}
