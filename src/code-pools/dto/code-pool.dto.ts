import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';

export const MAX_LOW_STOCK_THRESHOLD = 10_000;

export class CreateCodePoolDto {
  @ApiProperty({
    example: 'Spring 20% coupons',
    maxLength: 200,
    description: 'Unique in the program.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @NoControlChars()
  name: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_LOW_STOCK_THRESHOLD,
    example: 20,
    description:
      'At or below this many available codes the pool is low: settings.alertEmail gets one program-alert per crossing. Absent: no alert.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LOW_STOCK_THRESHOLD)
  lowStockThreshold?: number;
}

export class AddCodesDto {
  @ApiProperty({
    type: [String],
    example: ['SPRING-7Q4K', 'SPRING-2MXD'],
    description:
      'At most 10000 codes of 1 to 200 characters; or send CSV (text/csv) with one code per row in the first column and an optional header "code".',
  })
  codes: string[];
}

export class CodePoolResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) lowStockThreshold: number | null;
  @ApiProperty({ description: 'Codes not yet given to a reward.' }) available: number;
  @ApiProperty({ description: 'Codes given to a reward.' }) assigned: number;
  @ApiProperty({ description: 'available is at or below lowStockThreshold.' }) lowStock: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class CodePoolListResponse {
  @ApiProperty({ type: [CodePoolResponse] }) items: CodePoolResponse[];
}

export class AddCodesResponse {
  @ApiProperty({ description: 'Codes added.' }) added: number;
  @ApiProperty({
    description: 'Codes refused: already in the pool, or repeated in this upload.',
  })
  duplicates: number;
  @ApiProperty({
    description:
      'Rewards that waited for a code (CODE_POOL_EMPTY) and got one of these, oldest first.',
  })
  released: number;
  @ApiProperty({ type: CodePoolResponse }) pool: CodePoolResponse;
}
