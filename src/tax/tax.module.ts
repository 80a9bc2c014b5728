import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NotificationsModule } from '../notifications/notifications.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ParticipantsModule } from '../participants/participants.module';
import { RewardsModule } from '../rewards/rewards.module';
import { ParticipantTaxYear } from './participant-tax-year.entity';
import { W9Service } from './w9.service';

/** The W-9 notice: yearly taxable totals per participant, moved with every reward. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ParticipantTaxYear]),
    ParticipantsModule,
    RewardsModule,
    NotificationsModule,
    WebhooksModule,
  ],
  providers: [W9Service],
  exports: [W9Service],
})
export class TaxModule {}
