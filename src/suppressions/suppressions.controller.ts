import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import {
  ListSuppressionsQuery,
  PutSuppressionDto,
  SuppressedAddressParams,
  SuppressionAddressParams,
  SuppressionListResponse,
  SuppressionResponse,
} from './dto/suppression.dto';
import { SuppressionsService } from './suppressions.service';

@ApiTags('suppressions')
@ApiBearerAuth()
@Controller('v1/suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get()
  @ApiOperation({ summary: 'Addresses the program does not send to, newest first.' })
  @ApiResponse({ status: 200, type: SuppressionListResponse })
  list(@CurrentProgram() program: Program, @Query() query: ListSuppressionsQuery) {
    return this.suppressions.list(program.id, query);
  }

  @Put(':email')
  @ApiOperation({
    summary:
      'Suppress an address by hand: no message is sent to it until the suppression is lifted. An address already suppressed keeps its first reason.',
  })
  @ApiResponse({ status: 201, type: SuppressionResponse, description: 'Suppressed' })
  @ApiResponse({ status: 200, type: SuppressionResponse, description: 'Already suppressed' })
  async put(
    @CurrentProgram() program: Program,
    @Param() params: SuppressionAddressParams,
    @Body() dto: PutSuppressionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { view, created } = await this.suppressions.addManual(program.id, params.email, dto.note);
    res.status(created ? 201 : 200);
    return view;
  }

  @Delete(':email')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Lift a suppression: messages to the address are sent again, and one held back can be retried.',
  })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 404, description: 'SUPPRESSION_NOT_FOUND: the address is not suppressed' })
  async remove(
    @CurrentProgram() program: Program,
    @Param() params: SuppressedAddressParams,
  ): Promise<void> {
    await this.suppressions.remove(program.id, params.email);
  }
}
