import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, ValidateIf } from 'class-validator';
import { defineValidator } from '../../common/validation/validators';
import { CATEGORY_PATTERN } from '../consent-categories';
import { CONSENT_SOURCES, type ConsentSource } from '../consent-preference.entity';

const MAX_CHANGES = 50;

/** `{ "<category>": true | false, ... }`: named categories, boolean values, a bounded count. */
const IsCategoryChoices = () =>
  defineValidator(
    'isCategoryChoices',
    (v) =>
      !!v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.keys(v).length <= MAX_CHANGES &&
      Object.entries(v).every(([k, b]) => CATEGORY_PATTERN.test(k) && typeof b === 'boolean'),
    `$property must be an object of at most ${MAX_CHANGES} categories (a-z, 0-9, -) each true (subscribed) or false (left), e.g. { "marketing": false }`,
  );

export class PutPreferencesDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'boolean' },
    example: { marketing: false },
    description:
      'Per category: true to get it, false to leave it. Categories left out keep their state.',
  })
  @IsDefined()
  @IsCategoryChoices()
  categories: Record<string, boolean>;
}

export class CategoryPreferenceView {
  @ApiProperty({ example: 'marketing' }) category: string;
  @ApiProperty() subscribed: boolean;
  @ApiPropertyOptional({ description: 'When the participant last chose; absent: never chose.' })
  changedAt?: string;
  @ApiPropertyOptional({ enum: CONSENT_SOURCES, description: 'How that choice was made.' })
  source?: ConsentSource;
}

export class PreferencesResponse {
  @ApiProperty({
    type: [CategoryPreferenceView],
    description:
      'Every category of the program a participant may leave: rewards, marketing, and those its template keys name. Transactional email is never listed: it cannot be left.',
  })
  categories: CategoryPreferenceView[];
}

export class PutTemplateSettingsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'newsletter',
    description:
      'The category of every email of this key: 1-32 of a-z, 0-9, -. null: back to the default (rewards for reward-earned, marketing for the rest). Not transactional.',
  })
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @Matches(CATEGORY_PATTERN, {
    message: 'category must be 1-32 of a-z, 0-9 and -, starting with a letter',
  })
  category: string | null;
}

export class TemplateSettingsResponse {
  @ApiProperty({ example: 'spring-promo' }) key: string;
  @ApiProperty({ example: 'newsletter' }) category: string;
  @ApiProperty({ example: 'marketing' }) defaultCategory: string;
  @ApiProperty({ description: 'Transactional keys keep their category.' }) fixed: boolean;
}

export class OneClickResponse {
  @ApiProperty({ enum: ['unsubscribed'] }) status: 'unsubscribed';
  @ApiProperty({ example: 'marketing', description: 'The category left.' }) category: string;
}
