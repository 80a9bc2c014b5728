import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentProgram } from './auth/auth.decorators';
import {
  CreateProgramDto,
  ProgramResponse,
  ProgramWithKeysResponse,
  RotateKeyDto,
  UpdateProgramDto,
} from './dto/program.dto';
import { RotatedKeyResponse } from './dto/operator-programs.dto';
import { Program } from './program.entity';
import { ProgramsService, toProgramView } from './programs.service';

@ApiTags('programs')
@ApiBearerAuth()
@Controller('v1')
export class ProgramsController {
  constructor(private readonly programs: ProgramsService) {}

  @Post('programs')
  @Auth('operator')
  @ApiOperation({ summary: 'Create a program (operator token). The keys are shown once.' })
  @ApiResponse({ status: 201, type: ProgramWithKeysResponse })
  create(@Body() dto: CreateProgramDto) {
    return this.programs.create(dto);
  }

  @Get('program')
  @ApiResponse({ status: 200, type: ProgramResponse })
  get(@CurrentProgram() program: Program) {
    return toProgramView(program);
  }

  @Patch('program')
  @ApiResponse({ status: 200, type: ProgramResponse })
  update(@CurrentProgram() program: Program, @Body() dto: UpdateProgramDto) {
    return this.programs.update(program, dto);
  }

  @Post('program/keys/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the secret or publishable key; the old one stops working at once.',
  })
  @ApiResponse({ status: 200, type: RotatedKeyResponse })
  rotate(@CurrentProgram() program: Program, @Body() dto: RotateKeyDto) {
    return this.programs.rotateKey(program, dto.kind);
  }
}
