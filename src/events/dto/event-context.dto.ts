import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIP, IsOptional, IsString, Length } from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';

/**
 * Where the event's participant acted from, as the client saw it. Kept with the event: the
 * fraud checks compare a participant's IPs and devices with those of the referrer's own events.
 */
export class EventContextDto {
  @ApiPropertyOptional({ example: '203.0.113.7', description: 'The IPv4 or IPv6 address.' })
  @IsOptional()
  @IsIP(undefined, { message: 'context.ip must be an IPv4 or IPv6 address, such as 203.0.113.7' })
  ip?: string;

  @ApiPropertyOptional({ maxLength: 500, description: "The browser's User-Agent header." })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @NoControlChars()
  userAgent?: string;

  @ApiPropertyOptional({
    maxLength: 200,
    example: 'dev_6f1c2a',
    description: 'A stable id of the device or browser the client keeps (a cookie, an app id).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @NoControlChars()
  deviceId?: string;
}

/** An event's context as stored. */
export interface EventContext {
  ip?: string;
  userAgent?: string;
  deviceId?: string;
}

/** The context with only the fields sent; null when none was. */
export function contextOf(dto: EventContextDto | undefined): EventContext | null {
  if (!dto) return null;
  const out: EventContext = {};
  if (dto.ip !== undefined) out.ip = dto.ip;
  if (dto.userAgent !== undefined) out.userAgent = dto.userAgent;
  if (dto.deviceId !== undefined) out.deviceId = dto.deviceId;
  return Object.keys(out).length > 0 ? out : null;
}
