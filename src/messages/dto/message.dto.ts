import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
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

export const MESSAGE_KINDS = ['live', 'test'] as const;

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

  @ApiPropertyOptional({
    description:
      'The beginning of the recipient address, in any case: `ana` finds ana@example.com and Anabel@example.org; a whole address finds it.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  @NoControlChars()
  to?: string;

  @ApiPropertyOptional({
    description: 'The beginning of the template key: `reward` finds reward-earned.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @NoControlChars()
  template?: string;

  @ApiPropertyOptional({
    example: '2026-03-01T00:00:00Z',
    description:
      'Written at or after this instant (ISO 8601; a date alone is midnight UTC). Named since and until because `to` is the recipient.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({
    example: '2026-04-01T00:00:00Z',
    description: 'Written before this instant (ISO 8601).',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({
    enum: MESSAGE_KINDS,
    description: 'test: the template test sends; live: everything else.',
  })
  @IsOptional()
  @IsIn(MESSAGE_KINDS)
  kind?: (typeof MESSAGE_KINDS)[number];

  @ApiPropertyOptional({ default: 50, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({
    description:
      'The nextCursor (older messages) or prevCursor (newer messages) of the page you are on.',
  })
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
  @ApiProperty({ enum: MESSAGE_KINDS, description: 'test: a template test send.' })
  kind: string;
  @ApiProperty() to: string;
  @ApiPropertyOptional({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ enum: MESSAGE_STATUSES }) status: string;
  @ApiPropertyOptional({ enum: ['smtp', 'builtin'], nullable: true }) transport: string | null;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ type: MessageErrorResponse }) error?: MessageErrorResponse;
  @ApiPropertyOptional() messageId?: string;
  @ApiPropertyOptional() sentAt?: string;
  @ApiPropertyOptional({
    description:
      'A queued message that waits for its account’s sending limit (or for the end of a pause after the server’s quota reply) is not sent before this time.',
  })
  notBefore?: string;
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
  @ApiPropertyOptional({ type: String, nullable: true }) from: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) subject: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) participantId: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The outbound message it is about or answers.',
  })
  inReplyTo: string | null;
  @ApiProperty({ description: 'Whether it was matched to an outbound message of the program.' })
  matched: boolean;
  @ApiProperty() receivedAt: string;
}

export class MessageAttemptResponse {
  @ApiProperty() at: string;
  @ApiProperty({ enum: ['sent', 'retry', 'waiting', 'failed', 'suppressed'] }) outcome: string;
  @ApiPropertyOptional({ enum: ['smtp', 'builtin'] }) transport?: string;
  @ApiPropertyOptional() code?: string;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional({ description: "The server's answer." }) response?: string;
}

export class RecipientRejectedResponse {
  @ApiProperty() address: string;
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty() permanent: boolean;
}

export class MessageContentResponse {
  @ApiProperty() subject: string;
  @ApiPropertyOptional({ nullable: true, type: String }) html: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) text: string | null;
}

/** GET /v1/messages/:id of an outbound message: the summary, its history and its content. */
export class MessageDetailResponse extends MessageSummaryResponse {
  @ApiProperty({ type: [MessageEventResponse] }) events: MessageEventResponse[];
  @ApiPropertyOptional({ nullable: true, type: String }) locale: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) participantId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) senderId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) serverResponse: string | null;
  @ApiProperty({ type: [RecipientRejectedResponse] }) rejected: RecipientRejectedResponse[];
  @ApiProperty({ type: [MessageAttemptResponse] }) attemptLog: MessageAttemptResponse[];
  @ApiPropertyOptional({
    nullable: true,
    type: MessageContentResponse,
    description: 'null for a message holding one-time links (contentWithheld) or not rendered yet.',
  })
  content: MessageContentResponse | null;
  @ApiProperty() contentWithheld: boolean;
}

/** GET /v1/messages/:id of an inbound message (a report or a reply). */
export class InboundMessageDetailResponse extends InboundMessageSummaryResponse {
  @ApiPropertyOptional({ nullable: true, type: String }) envelopeFrom: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) to: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'What was read from it: the report or the reply.',
  })
  summary: Record<string, unknown> | null;
  @ApiPropertyOptional({ nullable: true, type: String }) error: string | null;
  @ApiProperty() size: number;
  @ApiPropertyOptional({ nullable: true, type: String }) processedAt: string | null;
}

@ApiExtraModels(MessageSummaryResponse, InboundMessageSummaryResponse)
export class MessageListResponse {
  @ApiProperty({
    type: 'array',
    items: {
      anyOf: [
        { $ref: getSchemaPath(MessageSummaryResponse) },
        { $ref: getSchemaPath(InboundMessageSummaryResponse) },
      ],
    },
    description: 'Outbound messages, or inbound ones with direction=inbound.',
  })
  items: Array<MessageSummaryResponse | InboundMessageSummaryResponse>;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Older messages: pass as cursor. null on the last page.',
  })
  nextCursor: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Newer messages: pass as cursor. null on the first page.',
  })
  prevCursor?: string | null;
  @ApiPropertyOptional({
    description:
      'How many messages match the filters, counted up to 10,000 on either database; past that it is 10000 and totalExact is false.',
  })
  total?: number;
  @ApiPropertyOptional() totalExact?: boolean;
}
