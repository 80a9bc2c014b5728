import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  FindParticipantsQuery,
  ImportResultResponse,
  ParticipantListResponse,
  ParticipantResponse,
  UpsertParticipantDto,
} from './dto/participant.dto';
import { PatchParticipantDto } from './dto/patch-participant.dto';
import { ParticipantsService, toParticipantView } from './participants.service';

@ApiTags('participants')
@ApiBearerAuth()
@Controller('v1/participants')
export class ParticipantsController {
  constructor(private readonly participants: ParticipantsService) {}

  @Get()
  @ApiOperation({ summary: 'Find participants by email address (exact, case-insensitive).' })
  @ApiResponse({ status: 200, type: ParticipantListResponse })
  async findByEmail(@CurrentProgram() program: Program, @Query() query: FindParticipantsQuery) {
    const found = await this.participants.listByEmail(program.id, query.email);
    return { items: found.map(toParticipantView) };
  }

  @Post('import')
  @HttpCode(200)
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      example: 'id,email,firstName,lastName,locale,country\nu1,ana@example.com,Ana,,es,MX',
    },
  })
  @ApiResponse({ status: 200, type: ImportResultResponse })
  import(@CurrentProgram() program: Program, @Body() csv: string) {
    return this.participants.importCsv(program.id, csv);
  }

  @Put(':id')
  @ApiResponse({ status: 200, type: ParticipantResponse, description: 'Updated' })
  @ApiResponse({ status: 201, type: ParticipantResponse, description: 'Created' })
  async upsert(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: UpsertParticipantDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    this.participants.assertId(id);
    const { participant, created } = await this.participants.upsert(program.id, id, dto);
    res.status(created ? 201 : 200);
    return toParticipantView(participant);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change some fields of a stored participant, e.g. {"taxFormOnFile": true}; null clears an optional field. 404 when there is none yet (create it with PUT and its email).',
  })
  @ApiResponse({ status: 200, type: ParticipantResponse })
  async patch(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: PatchParticipantDto,
  ) {
    this.participants.assertId(id);
    return toParticipantView(await this.participants.patch(program.id, id, dto));
  }

  @Get(':id')
  @ApiResponse({ status: 200, type: ParticipantResponse })
  async get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return toParticipantView(await this.participants.get(program.id, id));
  }
}
