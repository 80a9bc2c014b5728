import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Ctx, type SignedInContext } from '../console-request';
import { ConsolePages } from '../console-route.decorator';
import { ConsoleViews } from '../console-views.service';
import { ParticipantsPageService } from '../pages/participants-page.service';

@ConsolePages()
@Controller('console/participants')
export class ConsoleParticipantsController {
  constructor(
    private readonly page: ParticipantsPageService,
    private readonly views: ConsoleViews,
  ) {}

  @Get()
  async lookup(
    @Ctx() ctx: SignedInContext,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, ctx, await this.page.lookup(ctx, query));
  }
}
