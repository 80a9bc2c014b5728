import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  AcceptedResponse,
  EmailRequestDto,
  ParticipantIdResponse,
  PasswordResetConfirmDto,
  SessionDto,
  TokenConfirmDto,
  VerificationConfirmedResponse,
} from './dto/public.dto';
import { PasswordResetService } from './password-reset.service';
import { ParticipantSessionsService } from './participant-sessions.service';
import { PublicRateLimitGuard } from './rate-limit/public-rate-limit';
import { VerificationService } from './verification.service';

const ACCEPTED: AcceptedResponse = { status: 'accepted' };

/** Routes for microsites and widgets, with the program's publishable key. */
@ApiTags('public')
@ApiBearerAuth()
@Auth('publishable')
@UseGuards(PublicRateLimitGuard)
@ApiResponse({ status: 429, description: 'Too many requests; see Retry-After.' })
@Controller('v1/public')
export class PublicController {
  constructor(
    private readonly verification: VerificationService,
    private readonly passwordReset: PasswordResetService,
    private readonly sessions: ParticipantSessionsService,
  ) {}

  @Post('verification')
  @HttpCode(202)
  @ApiResponse({
    status: 202,
    type: AcceptedResponse,
    description: 'Sent if the address belongs to a participant.',
  })
  requestVerification(
    @CurrentProgram() program: Program,
    @Body() dto: EmailRequestDto,
  ): AcceptedResponse {
    this.verification.request(program, dto.email);
    return ACCEPTED;
  }

  @Post('verification/confirm')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: VerificationConfirmedResponse })
  @ApiResponse({ status: 400, description: 'TOKEN_INVALID: wrong, expired or used.' })
  confirmVerification(@CurrentProgram() program: Program, @Body() dto: TokenConfirmDto) {
    return this.verification.confirm(program, dto.token);
  }

  @Post('password-reset')
  @HttpCode(202)
  @ApiResponse({
    status: 202,
    type: AcceptedResponse,
    description: 'Sent if the address belongs to a participant.',
  })
  requestPasswordReset(
    @CurrentProgram() program: Program,
    @Body() dto: EmailRequestDto,
  ): AcceptedResponse {
    this.passwordReset.request(program, dto.email);
    return ACCEPTED;
  }

  @Post('password-reset/confirm')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: ParticipantIdResponse })
  @ApiResponse({
    status: 400,
    description: 'TOKEN_INVALID, or VALIDATION_FAILED for a password outside 8 to 256 characters.',
  })
  confirmPasswordReset(@CurrentProgram() program: Program, @Body() dto: PasswordResetConfirmDto) {
    return this.passwordReset.confirm(program, dto.token, dto.password);
  }

  @Post('sessions')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: ParticipantIdResponse })
  @ApiResponse({ status: 401, description: 'INVALID_CREDENTIALS' })
  signIn(@CurrentProgram() program: Program, @Body() dto: SessionDto) {
    return this.sessions.signIn(program, dto.email, dto.password);
  }
}
