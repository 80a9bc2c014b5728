import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ParticipantsModule } from '../participants/participants.module';
import { RuleEngine } from './rule-engine.service';
import { RuleRevision } from './rule-revision.entity';
import { RuleSimulator } from './rule-simulator.service';
import { Rule } from './rule.entity';
import { RulesCache } from './rules-cache';
import { RulesController } from './rules.controller';
import { RulesService } from './rules.service';

/** Rule definitions and the engine that evaluates them; events run it, simulate dry-runs it. */
@Module({
  imports: [TypeOrmModule.forFeature([Rule, RuleRevision]), ParticipantsModule],
  controllers: [RulesController],
  providers: [RulesService, RulesCache, RuleEngine, RuleSimulator],
  exports: [RuleEngine],
})
export class RulesModule {}
