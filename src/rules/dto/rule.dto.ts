import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  ValidateNested,
} from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';
import { CreateEventDto } from '../../events/dto/event.dto';

const CONDITIONS_DOC = {
  type: 'object',
  additionalProperties: true,
  description:
    'json-rules-engine conditions: { all | any: [{ fact: "event" | "participant" | "referrer" | "program", path?, operator, value }] } or { not: {...} }. Leave out to match every event of the type.',
  example: {
    all: [
      { fact: 'event', path: 'amount', operator: 'greaterThanInclusive', value: 50 },
      { fact: 'participant', path: 'country', operator: 'equal', value: 'US' },
    ],
  },
} as const;

const ACTIONS_DOC = {
  type: 'array',
  items: { type: 'object' },
  description:
    '{ type: "email", template, to: "participant" | "referrer", sender? } or { type: "reward", to, kind: "cash" | "credit" | "discount" | "gift_card" | "points", amount, currency, email? (default true), template? (default "reward-earned"), taxableUsd? }',
  example: [{ type: 'reward', to: 'referrer', kind: 'cash', amount: 25, currency: 'USD' }],
} as const;

// Types are checked here; what the rule means (operators, facts, templates, amounts) is checked
// by the rule validator, which names the place of each problem.
export class CreateRuleDto {
  @ApiProperty({ example: 'Referrer bonus for US purchases' })
  @IsString()
  @NoControlChars()
  name: string;

  @ApiProperty({
    example: 'purchase.completed',
    description: 'The event type the rule listens to.',
  })
  @IsString()
  @NoControlChars()
  event: string;

  @ApiPropertyOptional(CONDITIONS_DOC)
  @IsOptional()
  @IsObject()
  conditions?: Record<string, unknown> | null;

  @ApiProperty(ACTIONS_DOC)
  @IsArray()
  actions: Record<string, unknown>[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: 0, description: 'Higher runs first.' })
  @IsOptional()
  @IsInt()
  priority?: number;
}

export class UpdateRuleDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @NoControlChars()
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @NoControlChars()
  event?: string;

  @ApiPropertyOptional({
    ...CONDITIONS_DOC,
    nullable: true,
    description: 'null removes the conditions.',
  })
  @IsOptional()
  @IsObject()
  conditions?: Record<string, unknown> | null;

  @ApiPropertyOptional(ACTIONS_DOC)
  @IsOptional()
  @IsArray()
  actions?: Record<string, unknown>[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  priority?: number;
}

export class SimulateRulesDto {
  @ApiProperty({
    type: CreateEventDto,
    description: 'An event as POST /v1/events takes it; nothing is stored.',
  })
  @IsDefined()
  @ValidateNested()
  @Type(() => CreateEventDto)
  event: CreateEventDto;
}

export class RuleResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() event: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  conditions: unknown;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) actions: unknown[];
  @ApiProperty() enabled: boolean;
  @ApiProperty() priority: number;
  @ApiProperty({ description: '1 on creation, one more on every change.' }) version: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class RuleListResponse {
  @ApiProperty({ type: [RuleResponse] }) items: RuleResponse[];
}

export class SimulationEventNeed {
  @ApiProperty({ example: 'event.participant.email' }) field: string;
  @ApiProperty({ example: 'PARTICIPANT_EMAIL_REQUIRED' }) code: string;
  @ApiProperty() message: string;
}

export class SimulateResponse {
  @ApiProperty({
    description: 'The rules that would run: { ruleId, ruleName, ruleVersion }.',
    type: 'array',
    items: { type: 'object' },
  })
  matches: unknown[];
  @ApiProperty({
    description:
      'Every enabled rule of the type: { ruleId, ruleName, ruleVersion, matched, failedConditions, actions: [{ ..., outcome: "would-write" | "skipped", reason?, status? ("pending" | "available": the state a reward would be written in), pendingReason?, releaseAt? (when a held reward would be released), reference?, codePool?: { id, outcome ("would-get-code" | "would-wait": pending CODE_POOL_EMPTY), available } (a reward with a code pool, as the pool stands now; nothing is claimed), wouldReverse?: [{ rewardId, from, to }] (what a reverse-rewards action would change now) }] }',
    type: 'array',
    items: { type: 'object' },
  })
  results: unknown[];
  @ApiProperty({
    type: [SimulationEventNeed],
    description:
      'What POST /v1/events would refuse in this event (e.g. the email of a participant not stored yet); empty when a real event would be accepted. The simulation runs either way.',
  })
  eventNeeds: SimulationEventNeed[];
}
