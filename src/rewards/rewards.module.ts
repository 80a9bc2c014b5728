import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RewardHooks } from './reward-hooks';
import { Reward } from './reward.entity';
import { RewardsService } from './rewards.service';

/** Rewards and their lifecycle; the finance modules hook into it through RewardHooks. */
@Module({
  imports: [TypeOrmModule.forFeature([Reward])],
  providers: [RewardsService, RewardHooks],
  exports: [RewardsService, RewardHooks],
})
export class RewardsModule {}
