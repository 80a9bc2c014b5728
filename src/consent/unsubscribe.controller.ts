import { Controller, HttpCode, Param, Post, Req, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError } from '../common/errors/app-error';
import { Auth } from '../programs/auth/auth.decorators';
import { ConsentService } from './consent.service';
import { OneClickResponse } from './dto/consent.dto';

/**
 * RFC 8058 one-click unsubscribe: what a mailbox provider POSTs to the List-Unsubscribe link.
 * The token is the only credential; the answer is 200 at once, with no redirect and nothing to
 * confirm. (A GET of the same link is the preference page, for people.)
 */
@ApiTags('consent')
@Controller('p/unsubscribe')
export class UnsubscribeController {
  constructor(private readonly consent: ConsentService) {}

  @Post(':token')
  @Auth('none')
  @HttpCode(200)
  // Multipart (RFC 8058's SHOULD) and form-encoded bodies alike, text fields only.
  @UseInterceptors(NoFilesInterceptor())
  @ApiParam({ name: 'token', description: 'The token of the List-Unsubscribe link.' })
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: { 'List-Unsubscribe': { type: 'string', enum: ['One-Click'] } },
      required: ['List-Unsubscribe'],
    },
  })
  @ApiOperation({
    summary:
      'One-click unsubscribe (RFC 8058): the participant the token names leaves the category it names.',
    description:
      'Body List-Unsubscribe=One-Click (form-encoded or multipart). 400 ONE_CLICK_REQUIRED without it, 400 TOKEN_INVALID for a token that was changed or is not ours; neither changes anything. A second POST changes nothing more.',
  })
  @ApiResponse({ status: 200, type: OneClickResponse })
  async oneClick(@Param('token') token: string, @Req() req: Request): Promise<OneClickResponse> {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || body['List-Unsubscribe'] !== 'One-Click')
      throw AppError.badRequest(
        'ONE_CLICK_REQUIRED',
        'POST the body List-Unsubscribe=One-Click (application/x-www-form-urlencoded or multipart/form-data) to unsubscribe.',
      );
    const { category } = await this.consent.oneClick(token);
    return { status: 'unsubscribed', category };
  }
}
