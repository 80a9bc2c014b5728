import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiConsumes,
  ApiExcludeEndpoint,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth } from '../programs/auth/auth.decorators';
import { formField, single } from './page-parts';
import { PageRateLimitGuard } from './page-rate-limit.guard';
import { ParticipantPageExceptionFilter } from './participant-page-exception.filter';
import { ParticipantPageViews } from './participant-page-views';
import { PasswordResetPage } from './password-reset-page.service';
import { PreferencesPage, type PreferenceAction } from './preferences-page.service';
import { VerificationPage } from './verification-page.service';

const PAGE = { status: 200, description: 'An HTML page in the participant’s language.' };
const TOO_MANY = { status: 429, description: 'Too many requests: an HTML page, with Retry-After.' };

/**
 * The hosted participant pages: where the links of system emails go when the program has no
 * microsite. HTML for people; each handler asks one page service and sends what it returns.
 */
@ApiTags('participant pages')
@ApiProduces('text/html')
@Auth('none')
@UseFilters(ParticipantPageExceptionFilter)
@Controller('p')
export class ParticipantPagesController {
  constructor(
    private readonly views: ParticipantPageViews,
    private readonly verification: VerificationPage,
    private readonly passwordReset: PasswordResetPage,
    private readonly preferences: PreferencesPage,
  ) {}

  @Get('verify')
  @UseGuards(PageRateLimitGuard)
  @ApiOperation({
    summary: 'Email verification landing: confirms the address of the link’s token and says so.',
    description:
      'An expired, used or superseded link gets a page that explains it (410) with a button for a new link; a token that was never issued, 404.',
  })
  @ApiQuery({ name: 'token', description: 'The token of the verification email’s link.' })
  @ApiResponse(PAGE)
  @ApiResponse({ status: 410, description: 'Expired, used or sent to an old address.' })
  @ApiResponse(TOO_MANY)
  async verify(
    @Query('token') token: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.verification.show(single(token), lang));
  }

  @Post('verify/resend')
  @HttpCode(200)
  @UseGuards(PageRateLimitGuard)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Sends a new verification link to the address on the account of an old link’s token.',
    description: 'Form field `token`. Within TOKEN_EMAILS_PER_ADDRESS_PER_HOUR emails.',
  })
  @ApiResponse(PAGE)
  @ApiResponse(TOO_MANY)
  async resendVerification(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.verification.resend(formField(body, 'token'), lang));
  }

  @Get('reset-password')
  @UseGuards(PageRateLimitGuard)
  @ApiOperation({
    summary:
      'Password reset: with `token`, the form for a new password; with `program`, the form that asks for a reset link.',
  })
  @ApiQuery({ name: 'token', required: false, description: 'The token of the reset email’s link.' })
  @ApiQuery({
    name: 'program',
    required: false,
    description: 'The program id, on the link of the password-changed email.',
  })
  @ApiResponse(PAGE)
  @ApiResponse({ status: 410, description: 'Expired, used or sent to an old address.' })
  @ApiResponse(TOO_MANY)
  async resetPassword(
    @Query('token') token: unknown,
    @Query('program') program: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.show(single(token), single(program), lang));
  }

  @Post('reset-password')
  @HttpCode(200)
  @UseGuards(PageRateLimitGuard)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Sets the new password of the reset form (the API’s rules: 8 to 256 characters).',
    description: 'Form fields `token`, `password`, `confirm`. 400 with the form and what to fix.',
  })
  @ApiResponse(PAGE)
  @ApiResponse(TOO_MANY)
  async submitResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.submit(body, lang));
  }

  @Post('reset-password/resend')
  @HttpCode(200)
  @UseGuards(PageRateLimitGuard)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Sends a new reset link to the address on the account of an old link’s token.',
  })
  @ApiResponse(PAGE)
  @ApiResponse(TOO_MANY)
  async resendResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.resend(formField(body, 'token'), lang));
  }

  @Post('reset-password/request')
  @HttpCode(200)
  @UseGuards(PageRateLimitGuard)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Asks for a reset link by address (form fields `program`, `email`).',
    description: 'The same page whether or not the address has an account.',
  })
  @ApiResponse(PAGE)
  @ApiResponse(TOO_MANY)
  async requestResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.request(body, lang));
  }

  @Get('unsubscribe/:token')
  @UseGuards(PageRateLimitGuard)
  @ApiOperation({
    summary:
      'The preference page behind the unsubscribe link: every category with its state, to change one or leave all.',
    description:
      'A POST of the same address is the one-click unsubscribe (RFC 8058). `done` says what the last change did.',
  })
  @ApiParam({ name: 'token', description: 'The token of the unsubscribe link.' })
  @ApiQuery({
    name: 'done',
    required: false,
    enum: ['saved', 'left-one', 'left-all', 'nothing'],
  })
  @ApiResponse(PAGE)
  @ApiResponse(TOO_MANY)
  async preferencesPage(
    @Param('token') token: string,
    @Query('done') done: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.preferences.show(token, single(done), lang));
  }

  @Post('preferences/:token')
  @UseGuards(PageRateLimitGuard)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Saves the preference page’s form, then redirects (303) to the page.',
    description:
      'Form field `action`: `save` (the categories named in `subscribed` stay, the others are left), `leave-one` (the link’s category) or `leave-all`.',
  })
  @ApiParam({ name: 'token', description: 'The token of the unsubscribe link.' })
  @ApiResponse({
    status: 303,
    description: 'Back to the preference page, which says what changed.',
  })
  @ApiResponse(TOO_MANY)
  async savePreferences(
    @Param('token') token: string,
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const field = formField(body, 'action');
    const action: PreferenceAction =
      field === 'leave-one' || field === 'leave-all' ? field : 'save';
    const raw = (body as Record<string, unknown> | undefined)?.subscribed;
    const subscribed = (Array.isArray(raw) ? raw : [raw]).filter(
      (v): v is string => typeof v === 'string',
    );
    this.views.send(res, await this.preferences.save(token, action, subscribed, lang));
  }

  @Get('assets/:file')
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res() res: Response): void {
    const asset = this.views.asset(file);
    if (!asset) throw new NotFoundException('No such file.');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(asset.body);
  }
}
