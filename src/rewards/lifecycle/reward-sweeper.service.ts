import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, FindOptionsWhere, LessThanOrEqual } from 'typeorm';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { Program } from '../../programs/program.entity';
import { ProgramsService } from '../../programs/programs.service';
import { Reward } from '../reward.entity';
import { RewardsService } from '../rewards.service';
import { RewardEmails } from './reward-emails.service';

const BATCH_SIZE = 100;
const MAX_BATCHES_PER_SWEEP = 10;

export interface RewardSweepOutcome {
  released: number;
  expired: number;
  expiringEmails: number;
}

type Step = 'release' | 'expire' | 'expiring';

const COLUMN = { release: 'releaseAt', expire: 'expiresAt', expiring: 'expiringNoticeAt' } as const;

/** The rewards a step acts on at `now`. */
function dueWhere(step: Step, now: Date): FindOptionsWhere<Reward> {
  return {
    status: step === 'release' ? 'pending' : 'available',
    [COLUMN[step]]: LessThanOrEqual(now),
    ...(step === 'release' ? { pendingReason: 'HOLD' as const } : {}),
  };
}

/**
 * The times stored on rewards, acted on when they come: a hold that ended releases its reward,
 * an expiry expires it, and the reward-expiring email goes out before. Due rows are claimed
 * with SKIP LOCKED on Postgres (as payout reminders are), so several workers share the work; on
 * both databases the transition's conditional UPDATE is what keeps a reward from changing twice.
 */
@Injectable()
export class RewardSweeper {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rewards: RewardsService,
    private readonly programs: ProgramsService,
    private readonly emails: RewardEmails,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async sweepDue(now = new Date()): Promise<RewardSweepOutcome> {
    const outcome: RewardSweepOutcome = { released: 0, expired: 0, expiringEmails: 0 };
    for (const step of ['release', 'expiring', 'expire'] as const) {
      // Most sweeps find nothing due: one indexed read, and no transaction opened for it.
      if (!(await this.dataSource.getRepository(Reward).exists({ where: dueWhere(step, now) })))
        continue;
      for (let i = 0; i < MAX_BATCHES_PER_SWEEP; i++) {
        const batch = await this.dataSource.transaction((m) => this.sweepBatch(m, step, now));
        if (step === 'release') outcome.released += batch.done;
        else if (step === 'expire') outcome.expired += batch.done;
        else outcome.expiringEmails += batch.done;
        if (batch.claimed < BATCH_SIZE) break;
      }
    }
    if (outcome.released || outcome.expired || outcome.expiringEmails)
      this.logger.info(outcome, 'rewards swept');
    return outcome;
  }

  private async sweepBatch(
    manager: EntityManager,
    step: Step,
    now: Date,
  ): Promise<{ claimed: number; done: number }> {
    const column = COLUMN[step];
    const query = manager
      .getRepository(Reward)
      .createQueryBuilder('r')
      .where(dueWhere(step, now))
      .orderBy(`r.${column}`, 'ASC')
      .addOrderBy('r.createdAt', 'ASC')
      .limit(BATCH_SIZE);
    if (manager.connection.driver.options.type === 'postgres')
      query.setLock('pessimistic_write').setOnLocked('skip_locked');
    const due = await query.getMany();
    const programs = new Map<string, Program | null>();
    let done = 0;
    for (const reward of due) {
      if (!programs.has(reward.programId))
        programs.set(reward.programId, await this.programs.findById(reward.programId));
      const program = programs.get(reward.programId);
      if (!program) continue;
      if (step === 'expiring') {
        // Cleared in the same statement that claims it: one email, whoever sweeps.
        const claimed = await manager.update(
          Reward,
          { id: reward.id, status: 'available', expiringNoticeAt: LessThanOrEqual(now) },
          { expiringNoticeAt: null },
        );
        if (!claimed.affected) continue;
        await this.emails.sendExpiring(manager, reward, program);
        done++;
        continue;
      }
      const to = step === 'release' ? 'available' : 'expired';
      const reason = step === 'release' ? 'hold ended' : 'expired';
      if (await this.rewards.transition(manager, reward, to, program, { reason, actor: 'system' }))
        done++;
    }
    return { claimed: due.length, done };
  }
}
