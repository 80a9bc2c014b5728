import { ApiProperty } from '@nestjs/swagger';
import { FRAUD_REASONS } from '../fraud-checks';

/** The fraud checks' verdict on a reward, as the reward and the event's results show it. */
export class FraudVerdictResponse {
  @ApiProperty({ enum: ['observe', 'enforce'], description: "The program's mode when checked." })
  mode: string;
  @ApiProperty({ enum: ['clear', 'match'], description: 'Whether any check tripped.' })
  verdict: string;
  @ApiProperty({ enum: FRAUD_REASONS, isArray: true, description: 'The checks that tripped.' })
  reasons: string[];
  @ApiProperty({
    enum: ['none', 'deny', 'hold'],
    description:
      'What was done: none (observe mode, or clear), the reward denied, or held pending FRAUD_REVIEW.',
  })
  action: string;
}
