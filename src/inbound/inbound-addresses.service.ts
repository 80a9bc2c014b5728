import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { SenderDomainService } from '../sender-domains/sender-domain.service';
import { forwardingAddress } from './inbound-addresses';

/** The addresses that bring mail back to a program. */
@Injectable()
export class InboundAddresses {
  constructor(
    private readonly programs: ProgramsService,
    private readonly domains: SenderDomainService,
    private readonly config: AppConfig,
  ) {}

  async of(program: Program) {
    const tag = await this.programs.inboundTagOf(program);
    const domain = await this.domains.find(program.id);
    const signing = domain && this.domains.signingKeyOf(domain);
    const { INBOUND_DOMAIN, INBOUND_SMTP_HOST, INBOUND_SMTP_PORT } = this.config;
    return {
      forwardingAddress: forwardingAddress(tag, INBOUND_DOMAIN),
      returnPathHost: signing ? `bounces.${domain.domain}` : INBOUND_DOMAIN,
      listener: INBOUND_SMTP_PORT > 0 ? { host: INBOUND_SMTP_HOST, port: INBOUND_SMTP_PORT } : null,
    };
  }
}
