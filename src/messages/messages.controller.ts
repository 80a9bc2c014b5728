import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
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
  async raw(@CurrentProgram() program: Program, @Param('id') id: string, @Res() res: Response) {
    res.type('message/rfc822').send(await this.messages.raw(program.id, id));
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiResponse({ status: 202, type: MessageDetailResponse })
  retry(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.messages.retry(program.id, id);
  }
}
