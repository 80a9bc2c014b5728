import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { Program } from './program.entity';
import { programWarnings } from './program-warnings';

const PAGE_SIZE = 500;

/**
 * Names, once when the process starts, each program's missing settings (a tax form or payout
 * details page): one warning line per program, so an operator sees it where they look first.
 */
@Injectable()
export class ProgramWarningsLog implements OnApplicationBootstrap {
  constructor(
    @InjectRepository(Program) private readonly programs: Repository<Program>,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.logAll();
    } catch (err) {
      // A database that is away at start must not stop the process; the API still shows them.
      this.logger.warn({ err }, 'program settings could not be checked at start');
    }
  }

  private async logAll(): Promise<void> {
    let after = '';
    for (;;) {
      const page = await this.programs.find({
        select: { id: true, settings: true },
        where: after ? { id: MoreThan(after) } : {},
        order: { id: 'ASC' },
        take: PAGE_SIZE,
      });
      for (const program of page) {
        const warnings = programWarnings(program);
        if (warnings.length === 0) continue;
        this.logger.warn(
          { programId: program.id, missing: warnings.map((w) => w.setting) },
          'program settings missing: its emails use wording without these links',
        );
      }
      if (page.length < PAGE_SIZE) return;
      after = page[page.length - 1].id;
    }
  }
}
