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
  @ApiOperation({ summary: 'A reward with its history: every change, who made it and why.' })
  @ApiResponse({ status: 200, type: RewardResponse })
  get(@CurrentProgram() program: Program, @Param('id') id: string) {
    return this.rewards.get(program.id, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      "Change a reward's state: approve or deny a pending one, mark an available one paid, redeemed, cancelled or reversed. A change the state does not allow is a 409 INVALID_TRANSITION naming the allowed ones.",
  })
  @ApiResponse({ status: 200, type: RewardResponse })
  @ApiResponse({ status: 409, description: 'INVALID_TRANSITION' })
  update(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: UpdateRewardDto,
  ) {
    return this.rewards.setStatus(program, id, dto.status, dto.reason);
  }
}
