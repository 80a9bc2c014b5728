import { Module } from '@nestjs/common';
import { FraudService } from './fraud.service';

/** Fraud checks of rewards: the evaluation and the rule simulator ask it for a verdict. */
@Module({
  providers: [FraudService],
  exports: [FraudService],
})
export class FraudModule {}
