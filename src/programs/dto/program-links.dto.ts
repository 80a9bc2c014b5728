import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, isURL } from 'class-validator';
import { defineValidator, hasNoControlChars } from '../../common/validation/validators';

const MAX_LINK_LENGTH = 500;

/** An absolute https URL with a host and no user or password in it. */
export function isHttpsLink(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length <= MAX_LINK_LENGTH &&
    hasNoControlChars(value) &&
    isURL(value, {
      protocols: ['https'],
      require_protocol: true,
      require_host: true,
      require_tld: false,
      disallow_auth: true,
    })
  );
}

const IsHttpsLink = () =>
  defineValidator(
    'isHttpsLink',
    isHttpsLink,
    `$property must be an absolute https URL of at most ${MAX_LINK_LENGTH} characters, such as https://club.example.com/tax-form`,
  );

/** The program's own pages that system emails link to; each one missing is worded without a link. */
export class ProgramLinksDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'The https page where participants submit their tax form (W-9). Linked from the W-9 notice and payout reminders; while unset they ask the participant to reply instead.',
    example: 'https://club.example.com/tax-form',
    nullable: true,
  })
  @IsOptional()
  @IsHttpsLink()
  taxForm?: string | null;

  @ApiPropertyOptional({
    type: String,
    description:
      'The https page where participants add payout (banking) details. Linked from payout reminders; while unset they ask the participant to reply instead.',
    example: 'https://club.example.com/payout-details',
    nullable: true,
  })
  @IsOptional()
  @IsHttpsLink()
  payoutDetails?: string | null;
}
