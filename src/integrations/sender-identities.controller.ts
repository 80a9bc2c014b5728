import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  PutSenderIdentityDto,
  SenderIdentityListResponse,
  SenderIdentityResponse,
} from './dto/sender-identity.dto';
import { SendTestEmailDto, TestEmailResponse } from './dto/smtp-integration.dto';
import { SenderIdentitiesService } from './sender-identities.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/smtp/senders')
export class SenderIdentitiesController {
  constructor(private readonly senders: SenderIdentitiesService) {}

  @Get()
  @ApiOperation({
    summary: 'Sender identities on the connected SMTP server (never their passwords).',
  })
  @ApiResponse({ status: 200, type: SenderIdentityListResponse })
  async list(@CurrentProgram() program: Program) {
    return { items: await this.senders.list(program.id) };
  }

  @Put(':senderId')
  @ApiOperation({
    summary:
      "Create or update a sender with its own login on the program's SMTP server; the login is verified first.",
  })
  @ApiResponse({ status: 200, type: SenderIdentityResponse, description: 'Updated' })
  @ApiResponse({ status: 201, type: SenderIdentityResponse, description: 'Created' })
  @ApiResponse({ status: 409, description: 'SMTP_NOT_CONNECTED' })
  @ApiResponse({
    status: 422,
    description:
      'The login (or the IMAP login, when imap is given) failed; `code` and `message` say why.',
  })
  async put(
    @CurrentProgram() program: Program,
    @Param('senderId') senderId: string,
    @Body() dto: PutSenderIdentityDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { view, created } = await this.senders.put(program, senderId, dto);
    res.status(created ? 201 : 200);
    return view;
  }

  @Get(':senderId')
  @ApiResponse({ status: 200, type: SenderIdentityResponse })
  get(@CurrentProgram() program: Program, @Param('senderId') senderId: string) {
    return this.senders.get(program.id, senderId);
  }

  @Delete(':senderId')
  @HttpCode(204)
  @ApiResponse({ status: 204 })
  async remove(
    @CurrentProgram() program: Program,
    @Param('senderId') senderId: string,
  ): Promise<void> {
    await this.senders.remove(program.id, senderId);
  }

  @Post(':senderId/test')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Send a real test email From the sender with the sender's login; says whether a copy reached the Sent folder.",
  })
  @ApiResponse({ status: 200, type: TestEmailResponse })
  @ApiResponse({ status: 422, description: 'The server refused; `code` and `message` say why.' })
  test(
    @CurrentProgram() program: Program,
    @Param('senderId') senderId: string,
    @Body() dto: SendTestEmailDto,
  ) {
    return this.senders.sendTest(program, senderId, dto.to);
  }
}
