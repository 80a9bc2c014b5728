import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import { parseDuration } from '../../rewards/states/reward-durations';
import { FRAUD_ACTIONS, FRAUD_MODES } from '../fraud-settings';

/** An ISO 8601 duration as reward holds take them; the message says what is wrong. */
function IsRewardDuration() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isIsoDuration',
      target: object.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => 'seconds' in parseDuration(value),
        defaultMessage: (args?: ValidationArguments) => {
          const parsed = parseDuration(args?.value);
          return `${args?.property ?? propertyName} ${'error' in parsed ? parsed.error : 'must be an ISO 8601 duration'}`;
        },
      },
    });
}

export class SelfReferralSettingsDto {
  @ApiPropertyOptional({
    default: true,
    description:
      'The two addresses are one mailbox: case, `+tags` and, at Gmail, dots ignored (googlemail.com is gmail.com).',
  })
  @IsOptional()
  @IsBoolean()
  sameEmail?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      "An IP of the participant's events is an IP of the referrer's own events. Off by default: a household or an office shares one address.",
  })
  @IsOptional()
  @IsBoolean()
  sameIp?: boolean;

  @ApiPropertyOptional({
    default: true,
    description: "A device id of the participant's events is one of the referrer's own events.",
  })
  @IsOptional()
  @IsBoolean()
  sameDevice?: boolean;
}

export class RewardVelocityDto {
  @ApiProperty({ minimum: 1, maximum: 100000, example: 5 })
  @IsDefined()
  @IsInt()
  @Min(1)
  @Max(100000)
  count: number;

  @ApiProperty({ example: 'P1D', description: 'An ISO 8601 duration in weeks, days or less.' })
  @IsDefined()
  @IsRewardDuration()
  per: string;
}

/** `settings.fraud`: which checks a reward goes through, and what a match does. */
export class FraudSettingsDto {
  @ApiProperty({
    enum: FRAUD_MODES,
    description:
      'off: no checks. observe: the verdict is recorded on the reward and the event, nothing else changes. enforce: a match is denied or held (onMatch).',
  })
  @IsIn(FRAUD_MODES, { message: `mode must be one of: ${FRAUD_MODES.join(', ')}` })
  mode: (typeof FRAUD_MODES)[number];

  @ApiPropertyOptional({ type: SelfReferralSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SelfReferralSettingsDto)
  selfReferral?: SelfReferralSettingsDto;

  @ApiPropertyOptional({
    default: true,
    description:
      'Either person of the event has an address at a disposable (throwaway) domain, from the maintained disposable-email-domains list.',
  })
  @IsOptional()
  @IsBoolean()
  disposableDomains?: boolean;

  @ApiPropertyOptional({
    type: RewardVelocityDto,
    nullable: true,
    description:
      'At most `count` rewards to one referrer, as referrer, per `per`; the next is a VELOCITY_LIMIT match. null or absent: no limit.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RewardVelocityDto)
  maxRewardsPerReferrer?: RewardVelocityDto | null;

  @ApiPropertyOptional({
    enum: FRAUD_ACTIONS,
    default: 'hold',
    description:
      'In enforce mode: deny (the reward is denied, with the reward-denied email) or hold (pending FRAUD_REVIEW until PATCH /v1/rewards/:id).',
  })
  @IsOptional()
  @IsIn(FRAUD_ACTIONS, { message: `onMatch must be one of: ${FRAUD_ACTIONS.join(', ')}` })
  onMatch?: (typeof FRAUD_ACTIONS)[number];
}
