import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RewardHooks } from './reward-hooks';
import { Reward } from './reward.entity';
import { RewardsService } from './rewards.service';

/** Rewards and their lifecycle; the finance modules hook into it through RewardHooks. */
@Module({
  imports: [TypeOrmModule.forFeature([Reward]), DatabaseModule, MetricsModule],
  providers: [RewardsService, RewardHooks],
  exports: [RewardsService, RewardHooks],
})
export class RewardsModule {}
