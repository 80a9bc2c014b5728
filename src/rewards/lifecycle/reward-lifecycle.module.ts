import { Module } from '@nestjs/common';
import { NotificationsModule } from '../../notifications/notifications.module';
import { ParticipantsModule } from '../../participants/participants.module';
import { ProgramsModule } from '../../programs/programs.module';
import { RewardsModule } from '../rewards.module';
import { RewardEmails } from './reward-emails.service';
import { RewardSweeper } from './reward-sweeper.service';

/**
 * A reward's life after it is written: the emails of its changes (a hook in every process, as a
 * change can come from the API) and the sweep of holds and expiries (run by the worker).
 */
@Module({
  imports: [RewardsModule, NotificationsModule, ParticipantsModule, ProgramsModule],
  providers: [RewardEmails, RewardSweeper],
  exports: [RewardEmails, RewardSweeper],
})
export class RewardLifecycleModule {}
