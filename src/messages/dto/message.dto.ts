import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';

export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'failed',
  'suppressed',
  'bounced',
  'complained',
] as const;

export const MESSAGE_DIRECTIONS = ['outbound', 'inbound'] as const;

export class ListMessagesQuery {
  @ApiPropertyOptional({
    enum: MESSAGE_DIRECTIONS,
    default: 'outbound',
    description:
      'outbound: what the program sent; inbound: what came back (bounces, complaints, replies).',
  })
  @IsOptional()
  @IsIn(MESSAGE_DIRECTIONS)
  direction?: (typeof MESSAGE_DIRECTIONS)[number];

  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: (typeof MESSAGE_STATUSES)[number];

  @ApiPropertyOptional({ description: 'Recipient address (exact, case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  @NoControlChars()
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @NoControlChars()
  template?: string;

  @ApiPropertyOptional({ default: 50, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class MessageErrorResponse {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty() permanent: boolean;
}

export class MessageSummaryResponse {
  @ApiProperty() id: string;
  @ApiProperty() template: string;
  @ApiProperty() to: string;
  @ApiPropertyOptional({ nullable: true }) subject: string | null;
  @ApiProperty({ enum: MESSAGE_STATUSES }) status: string;
  @ApiPropertyOptional({ enum: ['smtp', 'builtin'], nullable: true }) transport: string | null;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ type: MessageErrorResponse }) error?: MessageErrorResponse;
  @ApiPropertyOptional() messageId?: string;
  @ApiPropertyOptional() sentAt?: string;
  @ApiProperty() createdAt: string;
}

export class MessageEventResponse {
  @ApiProperty({ enum: ['sent', 'deferred', 'bounced', 'complained', 'replied'] }) type: string;
  @ApiProperty() at: string;
  @ApiPropertyOptional({ description: 'The enhanced status code, e.g. 5.1.1.' }) status?: string;
  @ApiPropertyOptional() diagnostic?: string;
  @ApiPropertyOptional({
    description:
      'A bounce: hard | soft | policy | sender | delayed; a complaint: its feedback type.',
  })
  detail?: string;
  @ApiPropertyOptional({ description: 'The inbound message it came from.' }) inboundId?: string;
}

export class InboundMessageSummaryResponse {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['inbound'] }) direction: 'inbound';
  @ApiPropertyOptional({ enum: ['dsn', 'arf', 'auto-reply', 'reply'], nullable: true })
  kind: string | null;
  @ApiProperty({ enum: ['received', 'processed', 'failed'] }) status: string;
  @ApiPropertyOptional({ nullable: true }) from: string | null;
  @ApiPropertyOptional({ nullable: true }) subject: string | null;
  @ApiPropertyOptional({ nullable: true }) participantId: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'The outbound message it is about or answers.',
  })
  inReplyTo: string | null;
  @ApiProperty({ description: 'Whether it was matched to an outbound message of the program.' })
  matched: boolean;
  @ApiProperty() receivedAt: string;
}

export class MessageListResponse {
  @ApiProperty({ type: [MessageSummaryResponse] }) items: MessageSummaryResponse[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}
