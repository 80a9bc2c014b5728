import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { CreateEventDto, EventAcceptedResponse, EventResponse } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Record an event; its rules run in the background. The same idempotency key again returns the first event.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Or idempotencyKey in the body; if both are sent they must be equal.',
  })
  @ApiResponse({ status: 202, type: EventAcceptedResponse })
  create(
    @CurrentProgram() program: Program,
    @Body() dto: CreateEventDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    return this.events.ingest(program, dto, idempotencyKey);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The event, its status, and what each rule did with it.' })
  @ApiResponse({ status: 200, type: EventResponse })
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.events.get(program.id, id);
  }
}
