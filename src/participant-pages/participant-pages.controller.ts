import {
  Body,
  Controller,
  Get,
  Headers,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth } from '../programs/auth/auth.decorators';
import { formField, single } from './page-parts';
import { PageRateLimitGuard } from './page-rate-limit.guard';
import { PageForm, PageGet } from './page-route.decorator';
import { ParticipantPageExceptionFilter } from './participant-page-exception.filter';
import { ParticipantPageViews } from './participant-page-views';
import { PasswordResetPage } from './password-reset-page.service';
import { PreferencesPage, type PreferenceAction } from './preferences-page.service';
import { VerificationPage } from './verification-page.service';

/**
 * The hosted participant pages: where the links of system emails go when the program has no
 * microsite. HTML for people; each handler asks one page service and sends what it returns.
 * Like the console, they are out of the OpenAPI document, which describes the JSON API (its
 * errors all have the common body; these answer with pages); the README lists them.
 */
@ApiExcludeController()
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

  // The verification link: confirms the address, or explains a link that no longer works.
  @PageGet('verify')
  async verify(
    @Query('token') token: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.verification.show(single(token), lang));
  }

  // The button of an old verification link: a new link to the address on file.
  @PageForm('verify/resend')
  async resendVerification(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.verification.resend(formField(body, 'token'), lang));
  }

  // With `token`, the new-password form; with `program`, the form that asks for a reset link.
  @PageGet('reset-password')
  async resetPassword(
    @Query('token') token: unknown,
    @Query('program') program: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.show(single(token), single(program), lang));
  }

  // Form fields `token`, `password`, `confirm`: the API's rules, each problem beside its field.
  @PageForm('reset-password')
  async submitResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.submit(body, lang));
  }

  // The button of an old reset link: a new link to the address on file.
  @PageForm('reset-password/resend')
  async resendResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.resend(formField(body, 'token'), lang));
  }

  // Form fields `program`, `email`: the same page whether or not the address has an account.
  @PageForm('reset-password/request')
  async requestResetPassword(
    @Body() body: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.passwordReset.request(body, lang));
  }

  // The preference page behind unsubscribe links (a POST here is consent's one-click route).
  @PageGet('unsubscribe/:token')
  async preferencesPage(
    @Param('token') token: string,
    @Query('done') done: unknown,
    @Headers('accept-language') lang: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.views.send(res, await this.preferences.show(token, single(done), lang));
  }

  // `action`: save (the categories in `subscribed` stay), leave-one or leave-all; then 303.
  @Post('preferences/:token')
  @UseGuards(PageRateLimitGuard)
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
  asset(@Param('file') file: string, @Res() res: Response): void {
    const asset = this.views.asset(file);
    if (!asset) throw new NotFoundException('No such file.');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(asset.body);
  }
}
