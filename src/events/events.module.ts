import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ParticipantsModule } from '../participants/participants.module';
import { RewardsModule } from '../rewards/rewards.module';
import { RulesModule } from '../rules/rules.module';
import { EvaluateEventProcessor } from './evaluate-event.processor';
import { EventEvaluationService } from './event-evaluation.service';
import { ProgramEvent } from './event.entity';
import { EventsController } from './events.controller';
import { EventWriter } from './event-writer';
import { EventsService } from './events.service';

/** Event ingestion (idempotent) and the evaluation job that runs the rules. */
@Module({
  imports: [
    TypeOrmModule.forFeature([ProgramEvent]),
    ParticipantsModule,
    RulesModule,
    RewardsModule,
  ],
  controllers: [EventsController],
  providers: [EventsService, EventWriter, EventEvaluationService, EvaluateEventProcessor],
  exports: [EventEvaluationService],
})
export class EventsModule {}
