import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentProgram } from '../programs/auth/auth.decorators';
import { Program } from '../programs/program.entity';
import { ParticipantsService } from '../participants/participants.service';
import { ConsentService } from './consent.service';
import { PreferencesResponse, PutPreferencesDto } from './dto/consent.dto';

@ApiTags('participants')
@ApiBearerAuth()
@Controller('v1/participants')
export class PreferencesController {
  constructor(
    private readonly consent: ConsentService,
    private readonly participants: ParticipantsService,
  ) {}

  @Get(':id/preferences')
  @ApiOperation({
    summary:
      "The participant's state in every category of the program that can be left (transactional email never can).",
  })
  @ApiResponse({ status: 200, type: PreferencesResponse })
  async get(@CurrentProgram() program: Program, @Param('id') id: string) {
    this.participants.assertId(id);
    return { categories: await this.consent.preferences(program.id, id) };
  }

  @Put(':id/preferences')
  @ApiOperation({
    summary:
      'Change some categories, e.g. { "categories": { "marketing": false } } (source "api"). Each category left puts a participant.unsubscribed event into the rules.',
    description:
      '400 CATEGORY_TRANSACTIONAL for transactional, 400 CATEGORY_UNKNOWN for a category the program does not have; nothing changes then. 404 for an unknown participant.',
  })
  @ApiResponse({ status: 200, type: PreferencesResponse })
  async put(
    @CurrentProgram() program: Program,
    @Param('id') id: string,
    @Body() dto: PutPreferencesDto,
  ) {
    this.participants.assertId(id);
    await this.consent.setPreferences(program.id, id, dto.categories, 'api');
    return { categories: await this.consent.preferences(program.id, id) };
  }
}
