import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { TaxSummaryQueryDto, TaxSummaryResponse } from './dto/tax-summary.dto';
import { W9Service } from './w9.service';

@ApiTags('participants')
@ApiBearerAuth()
@Controller('v1/participants')
export class TaxSummaryController {
  constructor(private readonly w9: W9Service) {}

  @Get(':id/tax-summary')
  @ApiResponse({ status: 200, type: TaxSummaryResponse })
  @ApiResponse({ status: 404, description: 'No such participant in this program.' })
  taxSummary(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Query() query: TaxSummaryQueryDto,
  ): Promise<TaxSummaryResponse> {
    return this.w9.summary(program, id, query.year);
  }
}
