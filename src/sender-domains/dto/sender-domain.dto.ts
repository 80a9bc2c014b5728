import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsEmailAddress, IsSingleLine } from '../../common/validation/validators';

export class PutSenderDomainDto {
  @ApiProperty({ example: 'mail.example.com' })
  @IsSingleLine(253)
  domain: string;

  @ApiProperty({
    example: 'rewards@mail.example.com',
    description: 'Must be an address at `domain`.',
  })
  @IsEmailAddress()
  fromAddress: string;

  @ApiPropertyOptional({ description: "The program's fromName when unset." })
  @IsOptional()
  @IsSingleLine(200)
  fromName?: string;
}

export class SenderDnsRecordResponse {
  @ApiProperty({ enum: ['TXT', 'CNAME'] }) type: 'TXT' | 'CNAME';
  @ApiProperty({ example: 'rn202611._domainkey.mail.example.com' }) name: string;
  @ApiProperty({
    description:
      'What to enter at the DNS provider; long TXT values as quoted strings of at most 255 characters.',
  })
  value: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'TXT only: the strings of at most 255 bytes that make up the record.',
  })
  strings?: string[];
  @ApiProperty({ enum: ['dkim', 'spf', 'return-path', 'dmarc'] }) purpose:
    'dkim' | 'spf' | 'return-path' | 'dmarc';
  @ApiProperty({ enum: ['pending', 'verified', 'failed'] }) status:
    'pending' | 'verified' | 'failed';
  @ApiProperty({ description: 'Required records decide verification; the others are recommended.' })
  required: boolean;
  @ApiPropertyOptional({ description: 'Why the record is pending or failed.' }) reason?: string;
  @ApiPropertyOptional({ type: [String], description: 'What the last check found at the name.' })
  found?: string[];
}

export class SenderDomainResponse {
  @ApiProperty() domain: string;
  @ApiProperty({ enum: ['pending', 'verified', 'failed'] }) status:
    'pending' | 'verified' | 'failed';
  @ApiProperty() fromAddress: string;
  @ApiPropertyOptional({ type: String, nullable: true }) fromName: string | null;
  @ApiProperty() selector: string;
  @ApiProperty({ type: [SenderDnsRecordResponse] }) records: SenderDnsRecordResponse[];
  @ApiPropertyOptional({ type: String, nullable: true }) checkedAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) verifiedAt: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Since when a domain that was verified fails its DNS check.',
  })
  failingSince: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Until when a failing domain still signs mail (SENDER_DOMAIN_GRACE_HOURS after it started failing); after that its mail stops until it is fixed and checked again.',
  })
  signsUntil: string | null;
}
