import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { CodePoolsService } from './code-pools.service';
import {
  AddCodesDto,
  AddCodesResponse,
  CodePoolListResponse,
  CodePoolResponse,
  CreateCodePoolDto,
} from './dto/code-pool.dto';

const NOT_FOUND = { status: 404, description: 'CODE_POOL_NOT_FOUND' };

@ApiTags('code-pools')
@ApiBearerAuth()
@Controller('v1/code-pools')
export class CodePoolsController {
  constructor(private readonly pools: CodePoolsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a pool of unique codes that reward actions (codePool) hand out.',
  })
  @ApiResponse({ status: 201, type: CodePoolResponse })
  @ApiResponse({ status: 409, description: 'CODE_POOL_NAME_TAKEN' })
  create(@CurrentProgram() program: Program, @Body() dto: CreateCodePoolDto) {
    return this.pools.create(program.id, dto);
  }

  @Get()
  @ApiOperation({ summary: 'The program’s code pools with their stock (never the codes).' })
  @ApiResponse({ status: 200, type: CodePoolListResponse })
  list(@CurrentProgram() program: Program) {
    return this.pools.list(program.id);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One code pool and its stock.' })
  @ApiResponse({ status: 200, type: CodePoolResponse })
  @ApiResponse(NOT_FOUND)
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.pools.get(program.id, id);
  }

  @Post(':id/codes')
  @HttpCode(200)
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({ type: AddCodesDto })
  @ApiOperation({
    summary:
      'Add codes (JSON list or CSV); duplicates are refused and counted. Rewards waiting for a code get them at once, oldest first.',
  })
  @ApiResponse({ status: 200, type: AddCodesResponse })
  @ApiResponse({
    status: 400,
    description: 'CODES_MISSING, CODE_INVALID, TOO_MANY_CODES or CSV_INVALID',
  })
  @ApiResponse(NOT_FOUND)
  addCodes(@CurrentProgram() program: Program, @Param('id') id: string, @Body() body: unknown) {
    return this.pools.addCodes(program, id, body);
  }

  @Delete(':id/codes/:code')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a code not yet given to a reward (the code URL-encoded).' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, description: 'CODE_POOL_NOT_FOUND or CODE_NOT_FOUND' })
  @ApiResponse({ status: 409, description: 'CODE_ASSIGNED: the code belongs to a reward' })
  async removeCode(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Param('code') code: string,
  ): Promise<void> {
    await this.pools.removeCode(program.id, id, code);
  }
}
