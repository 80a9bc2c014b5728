import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { PutSenderDomainDto, SenderDomainResponse } from './dto/sender-domain.dto';
import { SenderDomainService } from './sender-domain.service';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations/sender-domain')
export class SenderDomainController {
  constructor(private readonly domains: SenderDomainService) {}

  @Put()
  @ApiOperation({
    summary:
      'Set the custom From domain of the built-in sender; answers the DNS records to publish (DKIM, SPF, return-path, DMARC).',
  })
  @ApiResponse({ status: 200, type: SenderDomainResponse })
  async put(@CurrentProgram() program: Program, @Body() dto: PutSenderDomainDto) {
    return this.domains.view(await this.domains.put(program.id, dto));
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check the records in DNS. The domain is used once every required record is verified.',
  })
  @ApiResponse({ status: 200, type: SenderDomainResponse })
  async verify(@CurrentProgram() program: Program) {
    return this.domains.view(await this.domains.verify(program));
  }

  @Get()
  @ApiResponse({ status: 200, type: SenderDomainResponse })
  @ApiResponse({ status: 404, description: 'SENDER_DOMAIN_NOT_SET' })
  async get(@CurrentProgram() program: Program) {
    return this.domains.view(await this.domains.get(program.id));
  }

  @Delete()
  @HttpCode(204)
  @ApiResponse({ status: 204 })
  async remove(@CurrentProgram() program: Program): Promise<void> {
    await this.domains.remove(program.id);
  }
}
