import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageLimit } from '../../common/http/pagination';
import { PENDING_REASONS, REWARD_STATUSES } from '../states/reward-states';
import { PARTICIPANT_ID, PARTICIPANT_ID_MESSAGE } from '../../participants/dto/participant.dto';
import { FraudVerdictResponse } from '../../fraud/dto/fraud-verdict.dto';

export class ListRewardsQuery {
  @ApiPropertyOptional({ description: "Only this participant's rewards." })
  @IsOptional()
  @IsString()
  @Matches(PARTICIPANT_ID, { message: PARTICIPANT_ID_MESSAGE })
  participantId?: string;

  @PageLimit(100, 500)
  limit?: number;
}

// `pending` and `expired` are set only by the engine (a rule, a hold's end, the expiry sweep).
export const SETTABLE_STATUSES = [
  'available',
  'paid',
  'redeemed',
  'denied',
  'cancelled',
  'reversed',
] as const;

export class UpdateRewardDto {
  @ApiProperty({
    enum: SETTABLE_STATUSES,
    description:
      'The new state. Allowed changes: pending → available | denied | cancelled; available → paid | redeemed | cancelled | reversed; paid, redeemed → reversed. Any other is a 409 INVALID_TRANSITION naming the allowed ones.',
  })
  @IsIn(SETTABLE_STATUSES, { message: `status must be one of: ${SETTABLE_STATUSES.join(', ')}` })
  status: (typeof SETTABLE_STATUSES)[number];

  @ApiPropertyOptional({
    maxLength: 500,
    description: 'Why, kept in the history (and shown in the reward-denied email).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RewardHistoryEntryResponse {
  @ApiPropertyOptional({ enum: REWARD_STATUSES, nullable: true, description: 'null at creation' })
  from: string | null;
  @ApiProperty({ enum: REWARD_STATUSES }) to: string;
  @ApiProperty() at: string;
  @ApiPropertyOptional({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ description: '`rule:<id>@<version>`, `api` or `system`' }) actor: string;
}

export class RewardResponse {
  @ApiProperty() id: string;
  @ApiProperty() participantId: string;
  @ApiPropertyOptional({ type: String, nullable: true }) ruleId: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) ruleVersion: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) eventId: string | null;
  @ApiProperty({ enum: ['cash', 'credit', 'discount', 'gift_card', 'points'] }) kind: string;
  @ApiProperty() amount: number;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: REWARD_STATUSES }) status: string;
  @ApiPropertyOptional({
    enum: PENDING_REASONS,
    nullable: true,
    description: 'Why a pending reward waits.',
  })
  pendingReason: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The reason given with the last change.',
  })
  statusReason: string | null;
  @ApiPropertyOptional({
    type: FraudVerdictResponse,
    nullable: true,
    description: "The fraud checks' verdict, when the program runs them (settings.fraud.mode).",
  })
  fraud: FraudVerdictResponse | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "The reference the rule's `ref` took from the event (e.g. an order id).",
  })
  reference: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: "The code pool the rule's `codePool` named.",
  })
  codePoolId: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'The code from its pool; null while it waits for one (CODE_POOL_EMPTY) or after a denial or cancellation put it back.',
  })
  code: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'When a held reward becomes available.',
  })
  releaseAt: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'When an available reward expires.',
  })
  expiresAt: string | null;
  @ApiProperty({
    description: 'The amount for USD cash and gift cards, else what the rule set (default 0).',
  })
  taxableUsd: number;
  @ApiPropertyOptional({ type: String, nullable: true }) paidAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) cancelledAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiPropertyOptional({
    type: [RewardHistoryEntryResponse],
    description: 'Every change, oldest first (GET /v1/rewards/:id only).',
  })
  history?: RewardHistoryEntryResponse[];
}

export class RewardListResponse {
  @ApiProperty({ type: [RewardResponse] }) items: RewardResponse[];
}
