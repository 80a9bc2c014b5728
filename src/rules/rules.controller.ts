import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  CreateRuleDto,
  RuleListResponse,
  RuleResponse,
  SimulateResponse,
  SimulateRulesDto,
  UpdateRuleDto,
} from './dto/rule.dto';
import { RuleSimulator } from './rule-simulator.service';
import { RulesService } from './rules.service';

@ApiTags('rules')
@ApiBearerAuth()
@Controller('v1/rules')
export class RulesController {
  constructor(
    private readonly rules: RulesService,
    private readonly simulator: RuleSimulator,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a rule. Problems in it are a 400 RULE_INVALID with one detail per problem.',
  })
  @ApiResponse({ status: 201, type: RuleResponse })
  @ApiResponse({
    status: 409,
    description: 'RULE_LIMIT_REACHED: the program already has MAX_RULES_PER_PROGRAM rules.',
  })
  create(@CurrentProgram() program: Program, @Body() dto: CreateRuleDto) {
    return this.rules.create(program.id, dto);
  }

  @Post('simulate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Which rules an event would match, which conditions fail and why, and the actions that would run. Nothing is written.',
  })
  @ApiResponse({ status: 200, type: SimulateResponse })
  simulate(@CurrentProgram() program: Program, @Body() dto: SimulateRulesDto) {
    return this.simulator.simulate(program, dto);
  }

  @Get()
  @ApiQuery({ name: 'event', required: false, description: 'Only rules of this event type.' })
  @ApiResponse({ status: 200, type: RuleListResponse })
  list(@CurrentProgram() program: Program, @Query('event') event?: string) {
    return this.rules.list(program.id, typeof event === 'string' ? event : undefined);
  }

  @Get(':id')
  @ApiResponse({ status: 200, type: RuleResponse })
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.rules.get(program.id, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a rule; it is validated again and its version raised.' })
  @ApiResponse({ status: 200, type: RuleResponse })
  update(@CurrentProgram() program: Program, @Param('id') id: string, @Body() dto: UpdateRuleDto) {
    return this.rules.update(program.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.rules.remove(program.id, id);
  }
}
