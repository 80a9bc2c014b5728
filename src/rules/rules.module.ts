import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ParticipantsModule } from '../participants/participants.module';
import { TemplatesModule } from '../templates/templates.module';
import { RuleEngine } from './rule-engine.service';
import { RuleRevision } from './rule-revision.entity';
import { RuleSimulator } from './rule-simulator.service';
import { Rule } from './rule.entity';
import { RulesCache } from './rules-cache';
import { RulesService } from './rules.service';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { FraudModule } from '../fraud/fraud.module';
import { CodePoolsModule } from '../code-pools/code-pools.module';

/** Rule definitions and the engine that evaluates them; events run it, simulate dry-runs it. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Rule, RuleRevision]),
    ParticipantsModule,
    TemplatesModule,
    WebhooksModule,
    FraudModule,
    CodePoolsModule,
  ],
  providers: [RulesService, RulesCache, RuleEngine, RuleSimulator],
  exports: [RulesService, RuleEngine, RuleSimulator, RulesCache],
})
export class RulesModule {}
