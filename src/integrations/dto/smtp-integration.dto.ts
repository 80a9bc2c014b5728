import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsEmailAddress, IsPort, IsSingleLine } from '../../common/validation/validators';
import { SMTP_SECURITY_VALUES, type SmtpSecurity } from '../../transports/smtp/smtp-settings';

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
  @ApiProperty({ enum: ['connected', 'failing'] }) status: 'connected' | 'failing';
  @ApiProperty() host: string;
  @ApiProperty() port: number;
  @ApiProperty({ enum: SMTP_SECURITY_VALUES }) security: SmtpSecurity;
  @ApiPropertyOptional({ nullable: true }) username: string | null;
  @ApiPropertyOptional({ nullable: true }) testFromAddress: string | null;
  @ApiProperty() fromAddress: string;
  @ApiPropertyOptional({ nullable: true }) fromName: string | null;
  @ApiProperty({ description: 'A password is stored; it is never returned.' }) hasPassword: boolean;
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
