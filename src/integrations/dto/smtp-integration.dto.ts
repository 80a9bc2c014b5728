import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { IsEmailAddress, IsPort, IsSingleLine } from '../../common/validation/validators';
import { SMTP_SECURITY_VALUES, type SmtpSecurity } from '../../transports/smtp/smtp-settings';
import {
  LimitsInEffectResponse,
  SendLimitsDto,
  SendLimitsResponse,
} from '../../send-limits/dto/send-limits.dto';

export const LIMITS_DESCRIPTION =
  'Sending limits of this account. Left out keeps the stored ones; null clears them; an object replaces both (a field left out or null is no limit of your own). A limit not set falls back to the provider’s documented default (Microsoft 365, Gmail, Google Workspace).';

export class AccountAuthResponse {
  @ApiProperty({ enum: ['password', 'oauth2'] }) type: 'password' | 'oauth2';
  @ApiPropertyOptional({ enum: ['microsoft', 'google'] }) provider?: 'microsoft' | 'google';
  @ApiPropertyOptional({ description: 'The mailbox signed in to.' }) email?: string;
}

const SECURITY_DESCRIPTION =
  '`none`: plaintext; `tls`: STARTTLS, required (usually port 587); `ssl`: implicit TLS (usually port 465).';

export class ConnectSmtpDto {
  @ApiProperty({ example: 'smtp.example.com' })
  @IsSingleLine(253)
  host: string;

  @ApiProperty({ example: 587, minimum: 1, maximum: 65535 })
  @IsPort()
  port: number;

  @ApiProperty({ enum: SMTP_SECURITY_VALUES, description: SECURITY_DESCRIPTION })
  @IsIn(SMTP_SECURITY_VALUES)
  security: SmtpSecurity;

  @ApiPropertyOptional({
    description: 'Leave out, with the password, for a server that needs no login.',
  })
  @IsOptional()
  @IsSingleLine(320)
  username?: string;

  @ApiPropertyOptional({
    description:
      'Stored encrypted, never returned. Leave out to keep the stored one (same host and username).',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({ description: 'From address of test emails; fromAddress when unset.' })
  @IsOptional()
  @IsEmailAddress()
  testFromAddress?: string;

  @ApiProperty({ example: 'rewards@example.com' })
  @IsEmailAddress()
  fromAddress: string;

  @ApiPropertyOptional({ description: "The program's fromName when unset." })
  @IsOptional()
  @IsSingleLine(200)
  fromName?: string;

  @ApiPropertyOptional({ type: SendLimitsDto, nullable: true, description: LIMITS_DESCRIPTION })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SendLimitsDto)
  limits?: SendLimitsDto | null;
}

export class SendTestEmailDto {
  @ApiProperty({ example: 'me@example.com' })
  @IsEmailAddress()
  to: string;
}

export class IntegrationErrorResponse {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty() at: string;
}

export class SmtpIntegrationResponse {
  @ApiProperty({
    enum: ['connected', 'failing', 'reauthorization_required'],
    description:
      '`reauthorization_required`: the OAuth sign-in was revoked or expired; mail waits, queued, until it is connected again.',
  })
  status: 'connected' | 'failing' | 'reauthorization_required';
  @ApiProperty() host: string;
  @ApiProperty() port: number;
  @ApiProperty({ enum: SMTP_SECURITY_VALUES }) security: SmtpSecurity;
  @ApiPropertyOptional({ type: String, nullable: true }) username: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) testFromAddress: string | null;
  @ApiProperty() fromAddress: string;
  @ApiPropertyOptional({ type: String, nullable: true }) fromName: string | null;
  @ApiProperty({ description: 'A password is stored; it is never returned.' }) hasPassword: boolean;
  @ApiProperty({
    type: AccountAuthResponse,
    description: 'How it logs in: a password, or OAuth 2.0 (XOAUTH2) with a provider.',
  })
  auth: AccountAuthResponse;
  @ApiProperty({ type: SendLimitsResponse, description: 'The limits as set on the integration.' })
  limits: SendLimitsResponse;
  @ApiProperty({
    type: LimitsInEffectResponse,
    description: 'The limits that hold, and whether each is set or the provider’s default.',
  })
  limitsInEffect: LimitsInEffectResponse;
  @ApiProperty() connectedAt: string;
  @ApiPropertyOptional({
    type: IntegrationErrorResponse,
    nullable: true,
    description: 'Why sending fails, while status is failing.',
  })
  lastError: IntegrationErrorResponse | null;
  @ApiProperty() updatedAt: string;
}

export class RecipientRejectionResponse {
  @ApiProperty() address: string;
  @ApiProperty() code: string;
  @ApiProperty() message: string;
  @ApiProperty() permanent: boolean;
}

export class SentFolderResultResponse {
  @ApiProperty() saved: boolean;
  @ApiPropertyOptional() mailbox?: string;
  @ApiPropertyOptional() code?: string;
  @ApiPropertyOptional() message?: string;
}

export class TestEmailResponse {
  @ApiProperty({ type: [String] }) accepted: string[];
  @ApiProperty({ type: [RecipientRejectionResponse] }) rejected: RecipientRejectionResponse[];
  @ApiProperty({ description: "The server's final reply, e.g. 250 2.0.0 OK" }) response: string;
  @ApiProperty() messageId: string;
  @ApiPropertyOptional({
    type: SentFolderResultResponse,
    description: 'Sender tests only: whether a copy was saved to the Sent folder.',
  })
  sentFolder?: SentFolderResultResponse;
}
