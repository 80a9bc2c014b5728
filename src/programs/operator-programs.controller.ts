import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Auth } from './auth/auth.decorators';
import {
  ListProgramsQuery,
  ProgramListResponse,
  RotatedKeyResponse,
} from './dto/operator-programs.dto';
import { ProgramResponse, RotateKeyDto } from './dto/program.dto';
import { OperatorProgramsService } from './operator-programs.service';

/** The operator token's routes over every program: list, read, and replace a lost key. */
@ApiTags('programs')
@ApiBearerAuth()
@Auth('operator')
@Controller('v1/programs')
export class OperatorProgramsController {
  constructor(private readonly programs: OperatorProgramsService) {}

  @Get()
  @ApiOperation({ summary: 'Every program, newest first, without keys (operator token).' })
  @ApiResponse({ status: 200, type: ProgramListResponse })
  list(@Query() query: ListProgramsQuery) {
    return this.programs.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One program, without keys (operator token).' })
  @ApiResponse({ status: 200, type: ProgramResponse })
  get(@Param('id') id: string) {
    return this.programs.get(id);
  }

  @Post(':id/keys/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Replace a program's secret or publishable key (operator token): how a lost key is recovered. The old key stops working at once; a new secret key also ends the program's console sessions.",
  })
  @ApiResponse({ status: 200, type: RotatedKeyResponse })
  rotate(@Param('id') id: string, @Body() dto: RotateKeyDto) {
    return this.programs.rotateKey(id, dto.kind);
  }
}
