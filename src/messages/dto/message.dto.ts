import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';

export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed', 'suppressed'] as const;

export class ListMessagesQuery {
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

export class MessageListResponse {
  @ApiProperty({ type: [MessageSummaryResponse] }) items: MessageSummaryResponse[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}
