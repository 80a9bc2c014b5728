import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsJsonObject, NoControlChars } from '../../common/validation/validators';
import {
  PARTICIPANT_ID,
  PARTICIPANT_ID_MESSAGE,
  UpsertParticipantDto,
} from '../../participants/dto/participant.dto';
import { EventContextDto } from './event-context.dto';

/** A person in an event: upserted from these fields; `email` is needed only to create one. */
export class EventPersonDto extends PartialType(UpsertParticipantDto) {
  @ApiProperty({ description: "The client's own id for this person." })
  @IsString()
  @Matches(PARTICIPANT_ID, { message: PARTICIPANT_ID_MESSAGE })
  id: string;
}

export class CreateEventDto {
  @ApiProperty({
    example: 'purchase.completed',
    description: 'Rules listen to events by this type.',
  })
  @IsString()
  @Length(1, 100)
  @NoControlChars()
  type: string;

  @ApiProperty({ type: EventPersonDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => EventPersonDto)
  participant: EventPersonDto;

  @ApiPropertyOptional({ type: EventPersonDto, description: 'Who referred the participant.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => EventPersonDto)
  referrer?: EventPersonDto;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { amount: 80, orderId: 'o-1' },
    description: 'The "event" fact of rule conditions.',
  })
  @IsOptional()
  @IsJsonObject(32768)
  data?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: '2026-01-15T10:00:00Z',
    description: 'Default: when it was received.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;

  @ApiPropertyOptional({
    type: EventContextDto,
    description:
      "Where the participant acted from: IP, user agent, device id. Kept with the event for the program's fraud checks.",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => EventContextDto)
  context?: EventContextDto;

  @ApiPropertyOptional({
    description: 'Or the Idempotency-Key header. The same key again returns the first event.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @NoControlChars()
  idempotencyKey?: string;
}

export class EventAcceptedResponse {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['queued', 'processed', 'failed'] }) status: string;
}

export class EventResponse {
  @ApiProperty() id: string;
  @ApiProperty() type: string;
  @ApiProperty({ enum: ['queued', 'processed', 'failed'] }) status: string;
  @ApiProperty() participantId: string;
  @ApiPropertyOptional({ type: String, nullable: true }) referrerId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
  @ApiProperty() occurredAt: string;
  @ApiPropertyOptional({ type: String, nullable: true }) idempotencyKey: string | null;
  @ApiPropertyOptional({
    type: EventContextDto,
    nullable: true,
    description: 'The context the event was sent with; null when none.',
  })
  context: EventContextDto | null;
  @ApiProperty({
    description:
      'Per enabled rule of the type: { ruleId, ruleName, ruleVersion, matched, failedConditions: [{ conditionPath, fact, path, operator, expected, actual, missing, negated }], actions: [{ index, type ("email" | "reward" | "reverse-rewards" | "webhook"), to?, recipientId, endpoint?, event?, outcome: "written" | "skipped", reason?, rewardId?, messageId?, status? ("pending" | "available"), pendingReason?, releaseAt?, reference?, reversed?: [{ rewardId, from, to }], fraud?: { mode ("observe" | "enforce"), verdict ("clear" | "match"), reasons, action ("none" | "deny" | "hold") } }] }',
    type: 'array',
    items: { type: 'object' },
  })
  results: unknown[];
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Why the evaluation failed, after its last attempt.',
  })
  error: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) processedAt: string | null;
  @ApiProperty() createdAt: string;
}
