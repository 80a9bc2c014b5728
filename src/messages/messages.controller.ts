import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  InboundMessageDetailResponse,
  ListMessagesQuery,
  MessageDetailResponse,
  MessageListResponse,
} from './dto/message.dto';
import { InboundService } from '../inbound/inbound.service';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly inbound: InboundService,
  ) {}

  @Get()
  @ApiResponse({ status: 200, type: MessageListResponse })
  list(@CurrentProgram() program: Program, @Query() query: ListMessagesQuery) {
    return query.direction === 'inbound'
      ? this.inbound.list(program.id, query)
      : this.messages.list(program.id, query);
  }

  @Get(':id')
  @ApiExtraModels(MessageDetailResponse, InboundMessageDetailResponse)
  @ApiResponse({
    status: 200,
    description: 'An outbound message, or an inbound one (direction "inbound").',
    schema: {
      anyOf: [
        { $ref: getSchemaPath(MessageDetailResponse) },
        { $ref: getSchemaPath(InboundMessageDetailResponse) },
      ],
    },
  })
  async get(@CurrentProgram() program: Program, @Param('id') id: string) {
    // One id space for both directions: an inbound message is found if no outbound one is.
    return (await this.inbound.find(program.id, id)) ?? this.messages.get(program.id, id);
  }

  @Get(':id/raw')
  @ApiProduces('message/rfc822')
  @ApiOperation({
    summary:
      "The message as sent (RFC 5322): the embedded sender's .eml, or the copy of an SMTP send kept with KEEP_SENT_MESSAGES. Without one, a JSON 404 whose code says why: MESSAGE_CONTENT_WITHHELD, MESSAGE_NOT_SENT, MESSAGE_RAW_NOT_KEPT or MESSAGE_RAW_MISSING.",
  })
  @ApiResponse({
    status: 200,
    content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
  })
  async raw(@CurrentProgram() program: Program, @Param('id') id: string, @Res() res: Response) {
    // Read first: an error is answered as JSON by the exception filter, not as message/rfc822.
    const raw = await this.messages.raw(program.id, id);
    res.type('message/rfc822').send(raw);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiResponse({ status: 202, type: MessageDetailResponse })
  retry(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.messages.retry(program.id, id);
  }
}
