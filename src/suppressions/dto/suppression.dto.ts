import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsEmailAddress, IsSingleLine, NoControlChars } from '../../common/validation/validators';
import {
  SUPPRESSION_REASONS,
  SUPPRESSION_SCOPES,
  type SuppressionReason,
} from '../suppression.entity';
import { PageLimit } from '../../common/http/pagination';

const REASONS_DESCRIBED =
  '`hard_bounce`: it bounced for good after it was accepted; `complaint`: its owner marked a message as spam; ' +
  '`manual`: added by hand; `rejected`: the receiving server refused it (5.1.x) while we sent.';

export class ListSuppressionsQuery {
  @ApiPropertyOptional({ description: 'The beginning of the address (case-insensitive).' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  @NoControlChars()
  email?: string;

  @ApiPropertyOptional({ enum: SUPPRESSION_REASONS, description: REASONS_DESCRIBED })
  @IsOptional()
  @IsIn(SUPPRESSION_REASONS)
  reason?: SuppressionReason;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** The address of a suppression to add: one the service could send to. */
export class SuppressionAddressParams {
  @ApiProperty({ example: 'ana@example.com' })
  @IsEmailAddress()
  email: string;
}

/**
 * The address of a suppression to lift: any stored address, even one today's check would refuse
 * (it was accepted by an older version), so that it can still be lifted.
 */
export class SuppressedAddressParams {
  @ApiProperty({ example: 'ana@example.com', description: 'Case-insensitive.' })
  @IsString()
  @Length(1, 320)
  @NoControlChars()
  email: string;
}

export class PutSuppressionDto {
  @ApiPropertyOptional({
    maxLength: 500,
    description: 'Why, for whoever reads the list later; stored as `detail`.',
  })
  @IsOptional()
  @IsSingleLine(500)
  note?: string;
}

/** A manual suppression with its address in the body: the console's form. */
export class AddSuppressionDto extends PutSuppressionDto {
  @ApiProperty({ example: 'ana@example.com' })
  @IsEmailAddress()
  email: string;
}

export class SuppressionResponse {
  @ApiProperty({ description: 'Lower-cased.' }) email: string;
  @ApiProperty({ enum: SUPPRESSION_REASONS, description: REASONS_DESCRIBED }) reason: string;
  @ApiPropertyOptional({
    description: 'The machine-readable cause, such as SMTP_RECIPIENT_UNKNOWN.',
  })
  code?: string;
  @ApiProperty({ description: "What happened: the server's answer, or the note." })
  detail: string;
  @ApiPropertyOptional({ description: 'The message that caused it.' }) messageId?: string;
  @ApiProperty({
    enum: SUPPRESSION_SCOPES,
    description:
      '`all`: no message is sent to the address; `non-transactional`: transactional messages (verification, password reset, W-9, payout reminders) still are.',
  })
  scope: string;
  @ApiProperty() createdAt: string;
}

export class SuppressionListResponse {
  @ApiProperty({ type: [SuppressionResponse] }) items: SuppressionResponse[];
  @ApiPropertyOptional({ type: String, nullable: true }) nextCursor: string | null;
}
