import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  IsEmailAddress,
  IsIsoDurationList,
  IsLocaleTag,
  IsSingleLine,
  IsTimeZoneName,
  IsYearAmountMap,
  NoControlChars,
} from '../../common/validation/validators';
import { ProgramLinksDto } from './program-links.dto';
import { FraudSettingsDto } from '../../fraud/dto/fraud-settings.dto';

export class ProgramSettingsDto {
  @ApiPropertyOptional({
    description: 'Notice when the calendar-year taxable total is above this (USD).',
    default: 599,
  })
  @IsOptional()
  // Totals are whole cents: a threshold with a fraction of one could not be met exactly.
  @IsNumber(
    { allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 },
    {
      message:
        'w9ThresholdUsd must be a USD amount in whole cents (at most 2 decimals), such as 599 or 2000',
    },
  )
  @Min(0)
  w9ThresholdUsd?: number;

  @ApiPropertyOptional({
    description: 'Per tax year thresholds, e.g. {"2026": 2000}.',
    example: { '2026': 2000 },
  })
  @IsOptional()
  @IsYearAmountMap()
  w9ThresholdsByYear?: Record<string, number>;

  @ApiPropertyOptional({ type: [String], default: ['P3D', 'P7D', 'P14D'] })
  @IsOptional()
  @IsIsoDurationList()
  payoutReminderIntervals?: string[];

  @ApiPropertyOptional({ default: true, description: 'Show the built-in footer in emails.' })
  @IsOptional()
  @IsBoolean()
  branding?: boolean;

  @ApiPropertyOptional({ description: 'Base URL of links in verification and reset emails.' })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(500)
  micrositeUrl?: string;

  @ApiPropertyOptional({
    default: false,
    description: 'Allow an SMTP login over a connection without TLS.',
  })
  @IsOptional()
  @IsBoolean()
  allowInsecureSmtp?: boolean;

  @ApiPropertyOptional({
    description:
      "Where the service tells the program's own people that something needs them (a sending domain that fails its checks, ...), from the platform's address.",
  })
  @IsOptional()
  @IsEmailAddress()
  alertEmail?: string;

  @ApiPropertyOptional({
    type: ProgramLinksDto,
    nullable: true,
    description:
      "Pages of the program's own site that system emails link to. Replaced as a whole by a PATCH; null removes them.",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProgramLinksDto)
  links?: ProgramLinksDto | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 300,
    example: 'Acme Inc., 100 Main Street, Springfield, IL 62701, USA',
    description:
      "The program's postal address, on one line. The footer of the default templates shows it: commercial email must carry one (CAN-SPAM).",
  })
  @IsOptional()
  @IsSingleLine(300)
  postalAddress?: string | null;

  @ApiPropertyOptional({
    type: FraudSettingsDto,
    description:
      'Fraud checks of the rewards rules write (self-referral, disposable domains, velocity), and what a match does. Replaced as a whole by a PATCH.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => FraudSettingsDto)
  fraud?: FraudSettingsDto;
}

export class CreateProgramDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  @NoControlChars()
  name: string;

  @ApiPropertyOptional({ default: 'UTC' })
  @IsOptional()
  @IsTimeZoneName()
  timezone?: string;

  @ApiPropertyOptional({ default: 'en' })
  @IsOptional()
  @IsLocaleTag()
  defaultLocale?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @NoControlChars()
  fromName?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmailAddress()
  replyTo?: string;

  @ApiPropertyOptional({ type: ProgramSettingsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProgramSettingsDto)
  settings?: ProgramSettingsDto;
}

export class UpdateProgramDto extends PartialType(CreateProgramDto) {}

export class RotateKeyDto {
  @ApiProperty({ enum: ['secret', 'publishable'] })
  @IsIn(['secret', 'publishable'])
  kind: 'secret' | 'publishable';
}

export class ProgramWarningResponse {
  @ApiProperty({ enum: ['TAX_FORM_LINK_MISSING', 'PAYOUT_DETAILS_LINK_MISSING'] }) code: string;
  @ApiProperty({ example: 'settings.links.taxForm', description: 'The setting to fill in.' })
  setting: string;
  @ApiProperty({ description: 'What the emails do without it, and what to set.' }) message: string;
}

export class ProgramResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() timezone: string;
  @ApiProperty() defaultLocale: string;
  @ApiPropertyOptional({ type: String, nullable: true }) fromName: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) replyTo: string | null;
  @ApiProperty({ type: ProgramSettingsDto }) settings: ProgramSettingsDto;
  @ApiProperty({
    type: [ProgramWarningResponse],
    description: 'Settings the program still misses, each named; empty when nothing is missing.',
  })
  warnings: ProgramWarningResponse[];
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ProgramWithKeysResponse extends ProgramResponse {
  @ApiProperty({ description: 'Shown once; store it now.' }) secretKey: string;
  @ApiProperty({ description: 'Shown once; store it now.' }) publishableKey: string;
}
