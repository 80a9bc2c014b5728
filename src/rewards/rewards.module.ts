import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RewardHooks } from './reward-hooks';
import { Reward } from './reward.entity';
import { RewardsController } from './rewards.controller';
import { RewardsService } from './rewards.service';

@Module({
  imports: [TypeOrmModule.forFeature([Reward])],
  controllers: [RewardsController],
  providers: [RewardsService, RewardHooks],
  exports: [RewardsService, RewardHooks],
})
export class RewardsModule {}
