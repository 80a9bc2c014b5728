import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class TaxSummaryQueryDto {
  @ApiPropertyOptional({
    example: 2026,
    description: 'Calendar year; the current one in the program time zone when omitted.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1970)
  @Max(9999)
  year?: number;
}

export class TaxSummaryResponse {
  @ApiProperty() year: number;
  @ApiProperty({ description: 'Taxable rewards that year in USD, cancelled ones excluded.' })
  totalUsd: number;
  @ApiProperty({ description: 'The W-9 threshold of that year.' }) thresholdUsd: number;
  @ApiProperty({ description: 'Above the threshold with no tax form on file.' })
  w9Required: boolean;
  @ApiProperty() aboveThreshold: boolean;
  @ApiProperty() taxFormOnFile: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) w9NoticeSentAt: string | null;
  @ApiPropertyOptional({
    description:
      'Present when a notice went out and the total fell below the threshold since: a notice is not withdrawn.',
  })
  note?: string;
}
