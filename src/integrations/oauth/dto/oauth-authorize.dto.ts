import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { IsEmailAddress, IsPort, IsSingleLine } from '../../../common/validation/validators';
import {
  MAILBOX_READ_MODES,
  type MailboxReadMode,
} from '../../../inbound/mailbox/inbound-mailbox.entity';
import {
  SAVE_TO_SENT_MODES,
  type SaveToSentMode,
} from '../../../transports/accounts/sender-identity.entity';
import {
  OAUTH_PROVIDER_NAMES,
  OAUTH_PURPOSES,
  type OAuthProviderName,
  type OAuthPurpose,
} from '../../../transports/oauth/oauth-providers';
import { SMTP_SECURITY_VALUES, type SmtpSecurity } from '../../../transports/smtp/smtp-settings';
import { ImapSettingsDto } from '../../dto/sender-identity.dto';

export class OAuthServerDto {
  @ApiProperty({ example: 'smtp.office365.com' })
  @IsSingleLine(253)
  host: string;

  @ApiProperty({ example: 587, minimum: 1, maximum: 65535 })
  @IsPort()
  port: number;

  @ApiProperty({ enum: SMTP_SECURITY_VALUES })
  @IsIn(SMTP_SECURITY_VALUES)
  security: SmtpSecurity;
}

export class OAuthAuthorizeDto {
  @ApiProperty({ enum: OAUTH_PROVIDER_NAMES, description: 'Only providers configured here.' })
  @IsIn(OAUTH_PROVIDER_NAMES)
  provider: OAuthProviderName;

  @ApiProperty({
    enum: OAUTH_PURPOSES,
    description:
      "`integration`: the program's SMTP server; `sender`: one sender identity (needs the integration); `inbound-mailbox`: the mailbox read for bounces and replies.",
  })
  @IsIn(OAUTH_PURPOSES)
  for: OAuthPurpose;

  @ApiPropertyOptional({ description: 'With `for: "sender"`: the sender id, as rules name it.' })
  @IsOptional()
  @IsSingleLine(200)
  senderId?: string;

  @ApiProperty({
    example: 'owner@acme.com',
    description: 'The mailbox to sign in to: the XOAUTH2 login, and the From address by default.',
  })
  @IsEmailAddress()
  email: string;

  @ApiPropertyOptional({
    type: OAuthServerDto,
    description:
      "`integration` only. The SMTP server; the provider's when unset (smtp.office365.com:587 STARTTLS, smtp.gmail.com:465 SSL).",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => OAuthServerDto)
  smtp?: OAuthServerDto;

  @ApiPropertyOptional({
    type: ImapSettingsDto,
    description:
      "`sender` (Sent copies, checked when given) and `inbound-mailbox`. The IMAP server; the provider's when unset (outlook.office365.com:993, imap.gmail.com:993, SSL).",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ImapSettingsDto)
  imap?: ImapSettingsDto;

  @ApiPropertyOptional({
    description:
      "Where the browser goes once connected: a URL on this service's own origin (the console) or the program's microsite. A page says what happened when unset.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  returnTo?: string;

  @ApiPropertyOptional({ description: '`integration`: From address; `email` when unset.' })
  @IsOptional()
  @IsEmailAddress()
  fromAddress?: string;

  @ApiPropertyOptional({ description: '`integration` and `sender`: display name in From.' })
  @IsOptional()
  @IsSingleLine(200)
  fromName?: string;

  @ApiPropertyOptional({ description: '`integration`: From address of test emails.' })
  @IsOptional()
  @IsEmailAddress()
  testFromAddress?: string;

  @ApiPropertyOptional({
    enum: SAVE_TO_SENT_MODES,
    description: '`sender`: copies in the Sent folder; as stored, else `auto`.',
  })
  @IsOptional()
  @IsIn(SAVE_TO_SENT_MODES)
  saveToSent?: SaveToSentMode;

  @ApiPropertyOptional({ description: '`inbound-mailbox`: the folder to read; INBOX when unset.' })
  @IsOptional()
  @IsSingleLine(255)
  folder?: string;

  @ApiPropertyOptional({
    enum: MAILBOX_READ_MODES,
    description: '`inbound-mailbox`: what to take in; `bounces` when unset.',
  })
  @IsOptional()
  @IsIn(MAILBOX_READ_MODES)
  read?: MailboxReadMode;
}

export class OAuthAuthorizeResponse {
  @ApiProperty({
    description:
      "The provider's sign-in page: send the person's browser there. Valid for 10 minutes, once.",
  })
  authorizeUrl: string;
  @ApiProperty({ description: 'When the authorization request expires.' })
  expiresAt: string;
}

export class OAuthCallbackResponse {
  @ApiProperty({ enum: ['connected'] }) status: 'connected';
  @ApiProperty({ enum: OAUTH_PURPOSES }) purpose: OAuthPurpose;
  @ApiProperty({ enum: OAUTH_PROVIDER_NAMES }) provider: OAuthProviderName;
  @ApiProperty({ description: 'The mailbox signed in to.' }) email: string;
  @ApiProperty({ type: String, nullable: true }) senderId: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The account as GET answers it: the SMTP integration, the sender identity or the inbound mailbox.',
  })
  account: object;
}

export class OAuthProviderResponse {
  @ApiProperty({ enum: OAUTH_PROVIDER_NAMES }) name: OAuthProviderName;
  @ApiProperty({ example: 'Microsoft' }) label: string;
}

export class OAuthProvidersResponse {
  @ApiProperty({ type: [OAuthProviderResponse] }) items: OAuthProviderResponse[];
  @ApiProperty({
    description: 'The redirect URI to register with each provider.',
    example: 'https://notify.example.com/oauth/callback',
  })
  redirectUri: string;
}
