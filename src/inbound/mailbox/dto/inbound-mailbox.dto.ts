import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsPort, IsSingleLine } from '../../../common/validation/validators';
import {
  AccountAuthResponse,
  IntegrationErrorResponse,
} from '../../../integrations/dto/smtp-integration.dto';
import { SMTP_SECURITY_VALUES, type SmtpSecurity } from '../../../transports/smtp/smtp-settings';
import { MAILBOX_READ_MODES, type MailboxReadMode } from '../inbound-mailbox.entity';

const READ_DESCRIPTION =
  '`bounces`: only delivery reports (DSN) and complaints (ARF) are taken in; every other email is left as it is. `bounces-and-replies`: every new email is taken in, replies included.';

export class PutInboundMailboxDto {
  @ApiProperty({ example: 'imap.example.com' })
  @IsSingleLine(253)
  host: string;

  @ApiProperty({ example: 993, minimum: 1, maximum: 65535 })
  @IsPort()
  port: number;

  @ApiProperty({
    enum: SMTP_SECURITY_VALUES,
    description:
      '`ssl`: implicit TLS (usually port 993); `tls`: STARTTLS, required (usually port 143); `none`: plaintext, refused unless the program allows insecure connections.',
  })
  @IsIn(SMTP_SECURITY_VALUES)
  security: SmtpSecurity;

  @ApiProperty({ example: 'bounces@example.com' })
  @IsSingleLine(320)
  username: string;

  @ApiPropertyOptional({
    description:
      'Stored encrypted, never returned, only sent to the host, port and security it was entered for. Leave out to keep the stored one for the same server and username.',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({ default: 'INBOX', example: 'INBOX' })
  @IsOptional()
  @IsSingleLine(255)
  folder?: string;

  @ApiProperty({ enum: MAILBOX_READ_MODES, description: READ_DESCRIPTION })
  @IsIn(MAILBOX_READ_MODES)
  read: MailboxReadMode;
}

export class InboundMailboxResponse {
  @ApiProperty({
    enum: ['connected', 'failing', 'reauthorization_required'],
    description:
      '`failing`: reading stopped working; `lastError` says why and it is retried. `reauthorization_required`: its OAuth sign-in was revoked or expired; it is read again once connected again.',
  })
  status: 'connected' | 'failing' | 'reauthorization_required';
  @ApiProperty() host: string;
  @ApiProperty() port: number;
  @ApiProperty({ enum: SMTP_SECURITY_VALUES }) security: SmtpSecurity;
  @ApiProperty() username: string;
  @ApiProperty() folder: string;
  @ApiProperty({ enum: MAILBOX_READ_MODES, description: READ_DESCRIPTION }) read: MailboxReadMode;
  @ApiProperty({ description: 'A password is stored; it is never returned.' }) hasPassword: boolean;
  @ApiProperty({
    type: AccountAuthResponse,
    description: 'How it logs in: a password, or OAuth 2.0 (XOAUTH2) with a provider.',
  })
  auth: AccountAuthResponse;
  @ApiProperty({ description: 'A worker holds the mailbox and reads it now.' }) reading: boolean;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The last time the folder was read to the end.',
  })
  lastCheckedAt: string | null;
  @ApiPropertyOptional({
    type: IntegrationErrorResponse,
    nullable: true,
    description: 'Why reading failed the last time it did.',
  })
  lastError: IntegrationErrorResponse | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'After a failure: when reading is tried again (later after each failure).',
  })
  retryAt: string | null;
  @ApiProperty() verifiedAt: string;
  @ApiProperty() updatedAt: string;
}

export class InboundMailboxTestResponse {
  @ApiProperty({ example: 'INBOX' }) folder: string;
  @ApiProperty({ description: 'Messages the folder holds.' }) messages: number;
}
