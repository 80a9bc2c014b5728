import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import {
  IsEmailAddress,
  IsJsonObject,
  IsLocaleTag,
  NoControlChars,
} from '../../common/validation/validators';

export const PARTICIPANT_ID = /^[A-Za-z0-9._:@+-]{1,200}$/;
export const PARTICIPANT_ID_MESSAGE = 'participant ids are 1 to 200 letters, digits or . _ : @ + -';

export class UpsertParticipantDto {
  @ApiProperty()
  @IsEmailAddress()
  email: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 200)
  @NoControlChars()
  firstName?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 200)
  @NoControlChars()
  lastName?: string;

  @ApiPropertyOptional({ example: 'pt-BR' })
  @IsOptional()
  @IsLocaleTag()
  locale?: string;

  @ApiPropertyOptional({ example: 'US', description: 'ISO 3166-1 alpha-2' })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be a two-letter ISO code such as "US"' })
  country?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  taxFormOnFile?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  payoutDetailsOnFile?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsJsonObject()
  customFields?: Record<string, unknown>;
}

export class ParticipantResponse {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiPropertyOptional({ type: String, nullable: true }) firstName: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastName: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) locale: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) country: string | null;
  @ApiProperty() taxFormOnFile: boolean;
  @ApiProperty() payoutDetailsOnFile: boolean;
  @ApiProperty() emailVerified: boolean;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  customFields: Record<string, unknown> | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class FindParticipantsQuery {
  @ApiProperty({
    example: 'ana@example.com',
    description:
      'The address, exact but in any case; no participant matches an address never stored.',
  })
  @IsString()
  @Length(1, 320)
  @NoControlChars()
  email: string;
}

export class ParticipantListResponse {
  @ApiProperty({
    type: [ParticipantResponse],
    description:
      'The participants with this address: empty when none (an address belongs to one at most).',
  })
  items: ParticipantResponse[];
}

export class ImportRowError {
  @ApiProperty({ description: 'The row in the file, the header being row 1.', example: 3 })
  row: number;
  @ApiPropertyOptional({ description: 'The id the row gave, when it gave one.' }) id?: string;
  @ApiPropertyOptional({ example: 'email' }) field?: string;
  @ApiPropertyOptional({
    description: 'The field problem, in the vocabulary of validation details.',
    example: 'INVALID_EMAIL_ADDRESS',
  })
  code?: string;
  @ApiProperty() message: string;
}

export class ImportResultResponse {
  @ApiProperty() created: number;
  @ApiProperty() updated: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: [ImportRowError], description: 'One entry per problem of a rejected row.' })
  errors: ImportRowError[];
}
