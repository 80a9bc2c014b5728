import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { NoControlChars } from '../../common/validation/validators';
import { ProgramResponse } from './program.dto';
import { PageLimit } from '../../common/http/pagination';

export class ListProgramsQuery {
  @ApiPropertyOptional({
    description: 'Only programs whose name contains this text (any case).',
    example: 'Acme',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoControlChars()
  name?: string;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ProgramListResponse {
  @ApiProperty({
    type: [ProgramResponse],
    description: 'Newest first. Keys are never listed: they are stored hashed.',
  })
  items: ProgramResponse[];

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next page; null on the last page.',
  })
  nextCursor: string | null;
}

export class RotatedKeyResponse {
  @ApiProperty({ enum: ['secret', 'publishable'] }) kind: 'secret' | 'publishable';
  @ApiProperty({
    description: 'The new key, shown once; the old one stopped working when this was answered.',
  })
  key: string;
}
