import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../../programs/auth/auth.decorators';
import { Program } from '../../programs/program.entity';
import {
  InboundMailboxResponse,
  InboundMailboxTestResponse,
  PutInboundMailboxDto,
} from './dto/inbound-mailbox.dto';
import { InboundMailboxService, toInboundMailboxView } from './inbound-mailbox.service';

const REFUSED =
  'The mailbox could not be read; `code` says why (IMAP_AUTH_FAILED, IMAP_FOLDER_NOT_FOUND, IMAP_HOST_NOT_ALLOWED, IMAP_TLS_FAILED, IMAP_CERTIFICATE_INVALID, IMAP_CONNECTION_FAILED, IMAP_TIMEOUT, IMAP_PLAINTEXT_AUTH_REFUSED, ...) and `message` what to change.';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/inbound-mailbox')
export class InboundMailboxController {
  constructor(private readonly mailboxes: InboundMailboxService) {}

  @Put()
  @ApiOperation({
    summary:
      "Connect the program's own mailbox, where bounces of mail sent through its own SMTP server land. The login and the folder are checked first; a failure changes nothing. A worker reads it from then on (IMAP IDLE and a poll), flagging what it takes in with the keyword $ReferralNotify and leaving everything else as it is.",
  })
  @ApiResponse({ status: 200, type: InboundMailboxResponse })
  @ApiResponse({
    status: 400,
    description:
      'MAILBOX_PASSWORD_REQUIRED: no password was given and the stored one was entered for another server or username.',
  })
  @ApiResponse({ status: 422, description: REFUSED })
  async put(@CurrentProgram() program: Program, @Body() dto: PutInboundMailboxDto) {
    return toInboundMailboxView(await this.mailboxes.put(program, dto));
  }

  @Get()
  @ApiOperation({
    summary: 'The connected mailbox and whether reading it works (never its password).',
  })
  @ApiResponse({ status: 200, type: InboundMailboxResponse })
  @ApiResponse({ status: 404, description: 'MAILBOX_NOT_CONNECTED' })
  async get(@CurrentProgram() program: Program) {
    return toInboundMailboxView(await this.mailboxes.get(program.id));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Stop reading the mailbox and forget its credentials. Nothing in it is changed.',
  })
  @ApiResponse({ status: 204 })
  async remove(@CurrentProgram() program: Program): Promise<void> {
    await this.mailboxes.remove(program.id);
  }

  @Post('test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in with the saved settings and open the folder: how many messages it holds.',
  })
  @ApiResponse({ status: 200, type: InboundMailboxTestResponse })
  @ApiResponse({ status: 404, description: 'MAILBOX_NOT_CONNECTED' })
  @ApiResponse({ status: 422, description: REFUSED })
  test(@CurrentProgram() program: Program) {
    return this.mailboxes.test(program);
  }
}
