import { Controller, Get } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { InboundAddresses } from './inbound-addresses.service';

export class InboundAddressesResponse {
  @ApiProperty({
    description:
      'Mail sent here reaches the program: replies and anything forwarded to it become inbound messages and email.received events.',
    example: 'in-abcdefghijklmnopqrst@in.example.net',
  })
  forwardingAddress: string;

  @ApiProperty({
    description:
      "The host the built-in sender's return paths are at: bounces.<your domain> once a custom From domain is verified (its CNAME points here), else INBOUND_DOMAIN.",
  })
  returnPathHost: string;

  @ApiPropertyOptional({
    nullable: true,
    description:
      'Where the inbound SMTP listener takes mail; null when it is off (INBOUND_SMTP_PORT=0).',
  })
  listener: { host: string; port: number } | null;
}

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/inbound')
export class InboundController {
  constructor(private readonly addresses: InboundAddresses) {}

  @Get()
  @ApiResponse({ status: 200, type: InboundAddressesResponse })
  get(@CurrentProgram() program: Program): Promise<InboundAddressesResponse> {
    return this.addresses.of(program);
  }
}
