import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PARTICIPANT_ID, PARTICIPANT_ID_MESSAGE } from '../../participants/dto/participant.dto';

export class ListRewardsQuery {
  @ApiPropertyOptional({ description: "Only this participant's rewards." })
  @IsOptional()
  @IsString()
  @Matches(PARTICIPANT_ID, { message: PARTICIPANT_ID_MESSAGE })
  participantId?: string;

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class UpdateRewardDto {
  @ApiProperty({ enum: ['paid', 'cancelled'], description: 'Only an available reward can change.' })
  @IsIn(['paid', 'cancelled'], { message: 'status must be "paid" or "cancelled"' })
  status: 'paid' | 'cancelled';
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
  @ApiProperty({ enum: ['available', 'paid', 'cancelled'] }) status: string;
  @ApiProperty({
    description: 'The amount for USD cash and gift cards, else what the rule set (default 0).',
  })
  taxableUsd: number;
  @ApiPropertyOptional({ type: String, nullable: true }) paidAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) cancelledAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class RewardListResponse {
  @ApiProperty({ type: [RewardResponse] }) items: RewardResponse[];
}
