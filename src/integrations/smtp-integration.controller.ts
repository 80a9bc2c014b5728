import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  ConnectSmtpDto,
  SendTestEmailDto,
  SmtpIntegrationResponse,
  TestEmailResponse,
} from './dto/smtp-integration.dto';
import { SmtpIntegrationService, toSmtpIntegrationView } from './smtp-integration.service';

const REFUSED =
  'The server could not be used; `code` says why (SMTP_AUTH_FAILED, SMTP_TLS_MISMATCH, SMTP_STARTTLS_UNAVAILABLE, SMTP_CONNECTION_FAILED, SMTP_HOST_NOT_ALLOWED, SMTP_TIMEOUT, ...) and `message` what to change.';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/smtp')
export class SmtpIntegrationController {
  constructor(private readonly smtp: SmtpIntegrationService) {}

  @Put()
  @ApiOperation({
    summary:
      "Connect the program's SMTP server. The connection and login are verified first; a failure changes nothing.",
  })
  @ApiResponse({ status: 200, type: SmtpIntegrationResponse })
  @ApiResponse({ status: 422, description: REFUSED })
  async connect(@CurrentProgram() program: Program, @Body() dto: ConnectSmtpDto) {
    return toSmtpIntegrationView(await this.smtp.connect(program, dto));
  }

  @Get()
  @ApiOperation({ summary: 'The connected SMTP server (never its password).' })
  @ApiResponse({ status: 200, type: SmtpIntegrationResponse })
  @ApiResponse({
    status: 404,
    description: 'SMTP_NOT_CONNECTED: mail goes out through the built-in sender.',
  })
  async get(@CurrentProgram() program: Program) {
    return toSmtpIntegrationView(await this.smtp.get(program.id));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Disconnect: back to the built-in sender. Sender identities and stored credentials are removed too.',
  })
  @ApiResponse({ status: 204 })
  async disconnect(@CurrentProgram() program: Program): Promise<void> {
    await this.smtp.disconnect(program.id);
  }

  @Post('test')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Send a real test email through the saved server, From testFromAddress (or fromAddress).',
  })
  @ApiResponse({ status: 200, type: TestEmailResponse })
  @ApiResponse({ status: 409, description: 'SMTP_NOT_CONNECTED' })
  @ApiResponse({ status: 422, description: REFUSED })
  test(@CurrentProgram() program: Program, @Body() dto: SendTestEmailDto) {
    return this.smtp.sendTest(program, dto.to);
  }
}
