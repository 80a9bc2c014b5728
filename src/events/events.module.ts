import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagesModule } from '../messages/messages.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { QueueModule } from '../queue/queue.module';
import { RewardsModule } from '../rewards/rewards.module';
import { RulesModule } from '../rules/rules.module';
import { EventEvaluationService } from './event-evaluation.service';
import { ProgramEvent } from './event.entity';
import { EventWriter } from './event-writer';
import { EventsService } from './events.service';
import { MetricsModule } from '../metrics/metrics.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { FraudModule } from '../fraud/fraud.module';

/** Event ingestion (idempotent) and the evaluation that runs the rules. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ProgramEvent]),
    QueueModule,
    ProgramsModule,
    ParticipantsModule,
    RulesModule,
    RewardsModule,
    MessagesModule,
    NotificationsModule,
    MetricsModule,
    WebhooksModule,
    FraudModule,
  ],
  providers: [EventsService, EventWriter, EventEvaluationService],
  exports: [EventsService, EventEvaluationService],
})
export class EventsModule {}
