import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseModule } from '../database/database.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ProgramsModule } from '../programs/programs.module';
import { QueueModule } from '../queue/queue.module';
import { RewardsModule } from '../rewards/rewards.module';
import { CodePool } from './code-pool.entity';
import { CodePoolsService } from './code-pools.service';
import { PoolCode } from './pool-code.entity';

/**
 * Code pools and the claim of a code by a reward (a hook in every process: rewards are written
 * by workers, denied or cancelled through the API). The controller is mounted by the API module,
 * the processor (the sweep of waiting rewards) by the worker module.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([CodePool, PoolCode]),
    DatabaseModule,
    NotificationsModule,
    ProgramsModule,
    QueueModule,
    RewardsModule,
  ],
  providers: [CodePoolsService],
  exports: [CodePoolsService],
})
export class CodePoolsModule {}
