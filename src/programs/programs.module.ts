import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Program } from './program.entity';
import { OperatorProgramsService } from './operator-programs.service';
import { ProgramWarningsLog } from './program-warnings-log';
import { ProgramsService } from './programs.service';

/** Programs (the tenants) and their API keys. */
@Module({
  imports: [TypeOrmModule.forFeature([Program])],
  providers: [ProgramsService, OperatorProgramsService, ProgramWarningsLog],
  exports: [ProgramsService, OperatorProgramsService],
})
export class ProgramsModule {}
