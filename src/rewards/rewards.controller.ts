import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  ListRewardsQuery,
  RewardListResponse,
  RewardResponse,
  UpdateRewardDto,
} from './dto/reward.dto';
import { RewardsService } from './rewards.service';

@ApiTags('rewards')
@ApiBearerAuth()
@Controller('v1/rewards')
export class RewardsController {
  constructor(private readonly rewards: RewardsService) {}

  @Get()
  @ApiOperation({ summary: 'Rewards, newest first.' })
  @ApiResponse({ status: 200, type: RewardListResponse })
  list(@CurrentProgram() program: Program, @Query() query: ListRewardsQuery) {
    return this.rewards.list(program.id, query);
  }

  @Get(':id')
  @ApiResponse({ status: 200, type: RewardResponse })
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.rewards.get(program.id, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Mark an available reward paid or cancelled; any other change is a 409.',
  })
  @ApiResponse({ status: 200, type: RewardResponse })
  update(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: UpdateRewardDto,
  ) {
    return this.rewards.setStatus(program, id, dto.status);
  }
}
