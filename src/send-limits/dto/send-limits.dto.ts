import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  MAX_PER_DAY,
  MAX_PER_MINUTE,
  type EffectiveSendLimits,
  type SendLimitProvider,
  type SendLimits,
  type SendLimitSource,
} from '../send-limits';

export class SendLimitsDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PER_MINUTE,
    nullable: true,
    description:
      'Messages a minute this account may send; past it messages wait (queued, with notBefore). Unset: the provider’s default, if any.',
  })
  @IsOptional()
  @Max(MAX_PER_MINUTE, { message: `limits.perMinute must be at most ${MAX_PER_MINUTE}` })
  @Min(1, { message: 'limits.perMinute must be at least 1' })
  @IsInt({
    message:
      'limits.perMinute must be a whole number of messages a minute, or null for no limit of your own',
  })
  perMinute?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PER_DAY,
    nullable: true,
    description:
      'Messages a day (UTC) this account may send; past it messages wait for the next day. Unset: the provider’s default, if any.',
  })
  @IsOptional()
  @Max(MAX_PER_DAY, { message: `limits.perDay must be at most ${MAX_PER_DAY}` })
  @Min(1, { message: 'limits.perDay must be at least 1' })
  @IsInt({
    message:
      'limits.perDay must be a whole number of messages a day, or null for no limit of your own',
  })
  perDay?: number | null;
}

export class SendLimitsResponse {
  @ApiProperty({ type: 'integer', nullable: true }) perMinute: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) perDay: number | null;
}

const SOURCES: SendLimitSource[] = ['set', 'integration', 'default'];
const PROVIDERS: SendLimitProvider[] = [
  'microsoft-365',
  'gmail',
  'google-workspace',
  'google-workspace-relay',
];

export class LimitsInEffectResponse {
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no per-minute limit.' })
  perMinute: number | null;

  @ApiProperty({
    enum: SOURCES,
    nullable: true,
    description:
      '`set` on this account, `integration` (a sender identity without its own takes the integration’s), or `default` (the provider’s documented limit).',
  })
  perMinuteSource: SendLimitSource | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no daily limit.' })
  perDay: number | null;

  @ApiProperty({ enum: SOURCES, nullable: true })
  perDaySource: SendLimitSource | null;

  @ApiProperty({
    enum: PROVIDERS,
    nullable: true,
    description:
      'The provider recognised from the SMTP host, whose defaults fill in any limit not set.',
  })
  provider: SendLimitProvider | null;
}

/** Limits as the request gave them: left out keeps `stored`, null clears both, an object replaces both. */
export function limitsFromRequest(
  requested: SendLimitsDto | null | undefined,
  stored: SendLimits | null,
): SendLimits {
  if (requested === undefined) return stored ?? { perMinute: null, perDay: null };
  return { perMinute: requested?.perMinute ?? null, perDay: requested?.perDay ?? null };
}

/** The columns of an account row for `limits`. */
export function limitColumns(limits: SendLimits) {
  return { limitPerMinute: limits.perMinute, limitPerDay: limits.perDay };
}

export function limitsInEffectView(effective: EffectiveSendLimits): LimitsInEffectResponse {
  const { perMinute, perMinuteSource, perDay, perDaySource, provider } = effective;
  return { perMinute, perMinuteSource, perDay, perDaySource, provider };
}
