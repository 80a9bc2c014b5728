import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookAttempt,
  type WebhookDeliveryStatus,
} from '../webhook-delivery.entity';
import { WEBHOOK_ENDPOINT_STATUSES, type WebhookEndpointStatus } from '../webhook-endpoint.entity';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-events.types';
import { PageLimit } from '../../common/http/pagination';

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://crm.example.com/hooks/referrals',
    description:
      'http(s) URL on a public address (private and loopback ones are refused unless WEBHOOK_ALLOW_PRIVATE_HOSTS is set).',
  })
  @IsString()
  @MaxLength(2048)
  @NoControlChars()
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['reward.created'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoControlChars()
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ description: 'Checked like a new URL.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @NoControlChars()
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoControlChars()
  description?: string;

  @ApiPropertyOptional({
    enum: WEBHOOK_ENDPOINT_STATUSES,
    description: '`enabled` again after it was disabled starts its run of failures over.',
  })
  @IsOptional()
  @IsIn(WEBHOOK_ENDPOINT_STATUSES)
  status?: WebhookEndpointStatus;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({
    default: 86400,
    maximum: 604800,
    description:
      'How long requests stay signed with the old secret too (0: at once only the new one).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604800)
  overlapSeconds?: number;
}

export class ListWebhookDeliveriesQuery {
  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_TYPES)
  event?: WebhookEventType;

  @PageLimit()
  limit?: number;
}

export class WebhookResponse {
  @ApiProperty() id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) events: string[];
  @ApiProperty({ enum: WEBHOOK_ENDPOINT_STATUSES }) status: WebhookEndpointStatus;
  @ApiProperty({ type: String, nullable: true }) disabledReason: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The first failure since the last success.',
  })
  failingSince: Date | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until when the secret before the last rotation still signs too.',
  })
  previousSecretExpiresAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: Date;
}

export class WebhookCreatedResponse extends WebhookResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret, shown this once.',
  })
  secret: string;
}

export class WebhookSecretResponse {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The new signing secret, shown this once.' }) secret: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  previousSecretExpiresAt: Date | null;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] }) items: WebhookResponse[];
}

export class WebhookAttemptResponse implements WebhookAttempt {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: Number, nullable: true }) statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The first kilobyte of the answer.' })
  responseExcerpt: string | null;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ description: 'Also the `webhook-id` header of every attempt.' }) id: string;
  @ApiProperty() endpointId: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) event: string;
  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES }) status: WebhookDeliveryStatus;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) giveUpAt: Date;
  @ApiProperty({ type: Number, nullable: true }) lastStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The body sent: `{ type, timestamp, data }`.',
  })
  request: Record<string, unknown>;
  @ApiProperty({ type: [WebhookAttemptResponse] }) attemptLog: WebhookAttempt[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
}

export class WebhookDeliveryListResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) items: WebhookDeliveryResponse[];
}
