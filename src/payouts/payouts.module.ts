import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NotificationsModule } from '../notifications/notifications.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { RewardsModule } from '../rewards/rewards.module';
import { PayoutReminder } from './payout-reminder.entity';
import { PayoutRemindersService } from './payout-reminders.service';

/** Payout reminders while a cash reward waits for tax or banking details. */
@Module({
  imports: [
    TypeOrmModule.forFeature([PayoutReminder]),
    ProgramsModule,
    ParticipantsModule,
    RewardsModule,
    NotificationsModule,
    WebhooksModule,
  ],
  providers: [PayoutRemindersService],
  exports: [PayoutRemindersService],
})
export class PayoutsModule {}
