import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { IsEmailAddress, IsPort, IsSingleLine } from '../../common/validation/validators';
import { SMTP_SECURITY_VALUES, type SmtpSecurity } from '../../transports/smtp/smtp-settings';
import {
  SAVE_TO_SENT_MODES,
  type SaveToSentMode,
} from '../../transports/accounts/sender-identity.entity';
import {
  LimitsInEffectResponse,
  SendLimitsDto,
  SendLimitsResponse,
} from '../../send-limits/dto/send-limits.dto';
import {
  AccountAuthResponse,
  IntegrationErrorResponse,
  LIMITS_DESCRIPTION,
} from './smtp-integration.dto';

export class ImapSettingsDto {
  @ApiProperty({ example: 'imap.example.com' })
  @IsSingleLine(253)
  host: string;

  @ApiProperty({ example: 993, minimum: 1, maximum: 65535 })
  @IsPort()
  port: number;

  @ApiProperty({
    enum: SMTP_SECURITY_VALUES,
    description: '`ssl` (usually 993), `tls` (STARTTLS, usually 143) or `none`.',
  })
  @IsIn(SMTP_SECURITY_VALUES)
  security: SmtpSecurity;

  @ApiPropertyOptional({
    description:
      'Mailbox for the copies when the server flags no \\Sent folder and none has a usual name.',
  })
  @IsOptional()
  @IsSingleLine(200)
  sentFolder?: string;
}

export class PutSenderIdentityDto {
  @ApiProperty({ description: 'Login on the program’s SMTP server and the From address.' })
  @IsEmailAddress()
  email: string;

  @ApiPropertyOptional({
    description:
      'Stored encrypted, never returned. Required to create a sender or change its email.',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({
    description: "Display name in From; the integration's or program's when unset.",
  })
  @IsOptional()
  @IsSingleLine(200)
  fromName?: string;

  @ApiPropertyOptional({
    enum: SAVE_TO_SENT_MODES,
    default: 'auto',
    description:
      '`auto` saves a copy except on Gmail / Google Workspace, which file sent mail themselves.',
  })
  @IsOptional()
  @IsIn(SAVE_TO_SENT_MODES)
  saveToSent?: SaveToSentMode;

  @ApiPropertyOptional({
    type: ImapSettingsDto,
    description:
      'IMAP server for Sent copies; guessed from the SMTP host (imap.<domain>, SSL, 993) when unset; null clears it. Checked when given.',
    nullable: true,
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ImapSettingsDto)
  imap?: ImapSettingsDto | null;

  @ApiPropertyOptional({
    type: SendLimitsDto,
    nullable: true,
    description: `${LIMITS_DESCRIPTION} A sender without limits of its own takes the integration’s.`,
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SendLimitsDto)
  limits?: SendLimitsDto | null;
}

export class ImapSettingsResponse {
  @ApiProperty() host: string;
  @ApiProperty() port: number;
  @ApiProperty({ enum: SMTP_SECURITY_VALUES }) security: SmtpSecurity;
  @ApiPropertyOptional({ type: String, nullable: true }) sentFolder: string | null;
}

export class SenderIdentityResponse {
  @ApiProperty() senderId: string;
  @ApiProperty() email: string;
  @ApiPropertyOptional({ type: String, nullable: true }) fromName: string | null;
  @ApiProperty({
    enum: ['connected', 'failing', 'needs_password', 'reauthorization_required'],
    description:
      "needs_password: the program's SMTP server moved since the password was entered; nothing is sent with it until it is entered again. reauthorization_required: its OAuth sign-in was revoked or expired, or the server moved; its mail waits, queued, until it is connected again.",
  })
  status: 'connected' | 'failing' | 'needs_password' | 'reauthorization_required';
  @ApiProperty({ enum: SAVE_TO_SENT_MODES }) saveToSent: SaveToSentMode;
  @ApiProperty({
    description: 'Whether copies are saved to the Sent folder with the current settings.',
  })
  savesToSent: boolean;
  @ApiPropertyOptional({
    type: ImapSettingsResponse,
    nullable: true,
    description: 'As set; null when guessed from the SMTP host.',
  })
  imap: ImapSettingsResponse | null;
  @ApiProperty() hasPassword: boolean;
  @ApiProperty({
    type: AccountAuthResponse,
    description: 'How it logs in: a password, or OAuth 2.0 (XOAUTH2) with a provider.',
  })
  auth: AccountAuthResponse;
  @ApiProperty({ type: SendLimitsResponse, description: 'The limits as set on this sender.' })
  limits: SendLimitsResponse;
  @ApiProperty({
    type: LimitsInEffectResponse,
    description:
      'The limits that hold for this sender: its own, else the integration’s, else the provider’s default.',
  })
  limitsInEffect: LimitsInEffectResponse;
  @ApiPropertyOptional({ type: IntegrationErrorResponse, nullable: true })
  lastError: IntegrationErrorResponse | null;
  @ApiProperty() verifiedAt: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class SenderIdentityListResponse {
  @ApiProperty({ type: [SenderIdentityResponse] }) items: SenderIdentityResponse[];
}
