import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { NotifyParticipant, type Notification } from '../notifications/notify-participant';
import { WebhookEvents } from '../webhooks/webhook-events';
import { payoutReminderSent } from '../webhooks/webhook-payloads';
import { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import { effectiveSettings, Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { Reward } from '../rewards/reward.entity';
import { programLink } from '../programs/program-links';
import { RewardFacts } from '../rewards/reward-facts';
import { RewardHooks } from '../rewards/reward-hooks';
import { PayoutReminder } from './payout-reminder.entity';
import { reminderDueTimes, supersededReminders } from './reminder-schedule';

const BATCH_SIZE = 100;
const MAX_BATCHES_PER_SWEEP = 10;

export interface SweepOutcome {
  sent: number;
  cancelled: number;
}

const detailsOnFile = (p: Pick<Participant, 'taxFormOnFile' | 'payoutDetailsOnFile'>) =>
  p.taxFormOnFile && p.payoutDetailsOnFile;

/**
 * Payout reminders: a cash reward written while tax or banking details are missing opens a
 * reminder cycle (stored due times, one row per interval); a periodic sweep claims the due
 * rows, checks the participant again and turns them into outbox messages.
 */
@Injectable()
export class PayoutRemindersService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly notify: NotifyParticipant,
    private readonly programs: ProgramsService,
    private readonly participants: ParticipantsService,
    private readonly hooks: RewardHooks,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly webhooks: WebhookEvents,
  ) {}

  // In the transaction of every reward write, and of a held reward's release.
  onModuleInit(): void {
    this.hooks.onRewardWritten((manager, reward, program, participant) =>
      this.onRewardWritten(manager, reward, program, participant),
    );
    this.hooks.onRewardStatusChanged(async (manager, reward, previous, program) => {
      if (previous !== 'pending' || reward.status !== 'available' || reward.kind !== 'cash') return;
      const participant = await this.participants.find(program.id, reward.participantId, manager);
      // The reminders count from the release: until then there was nothing to pay.
      if (participant)
        await this.onRewardWritten(
          manager,
          { ...reward, createdAt: new Date() },
          program,
          participant,
        );
    });
  }

  /**
   * Schedules the reminders of a new cash reward, in the reward's transaction. While a cycle is
   * open its rows already cover every interval, and the unique index makes these inserts no-ops.
   */
  async onRewardWritten(
    manager: EntityManager,
    reward: RewardFacts,
    program: Program,
    participant: Participant,
  ): Promise<void> {
    if (reward.kind !== 'cash' || reward.status !== 'available' || detailsOnFile(participant))
      return;
    const now = new Date();
    const rows = reminderDueTimes(
      new Date(reward.createdAt),
      effectiveSettings(program).payoutReminderIntervals,
    ).map(({ intervalIndex, dueAt }): PayoutReminder => ({
      id: randomUUID(),
      programId: program.id,
      participantId: participant.id,
      rewardId: reward.id,
      intervalIndex,
      dueAt,
      status: 'pending',
      openCycle: true,
      sentAt: null,
      messageId: null,
      createdAt: now,
      updatedAt: now,
    }));
    if (rows.length === 0) return;
    await manager
      .createQueryBuilder()
      .insert()
      .into(PayoutReminder)
      .values(rows)
      .orIgnore()
      .execute();
  }

  /** Sends what is due, batch by batch; each batch is one transaction, dispatched after commit. */
  async sweepDue(): Promise<SweepOutcome> {
    const total: SweepOutcome = { sent: 0, cancelled: 0 };
    // Most sweeps find nothing due: one indexed read, and no transaction opened for it.
    const anyDue = await this.dataSource
      .getRepository(PayoutReminder)
      .exists({ where: { status: 'pending', dueAt: LessThanOrEqual(new Date()) } });
    if (!anyDue) return total;
    for (let i = 0; i < MAX_BATCHES_PER_SWEEP; i++) {
      const batch = await this.dataSource.transaction((manager) => this.sweepBatch(manager));
      total.sent += batch.sent;
      total.cancelled += batch.cancelled;
      if (batch.claimed < BATCH_SIZE) break;
    }
    if (total.sent || total.cancelled) this.logger.info(total, 'payout reminders swept');
    return total;
  }

  private async sweepBatch(manager: EntityManager): Promise<SweepOutcome & { claimed: number }> {
    const now = new Date();
    const query = manager
      .getRepository(PayoutReminder)
      .createQueryBuilder('r')
      .where({ status: 'pending', dueAt: LessThanOrEqual(now) })
      .orderBy('r.dueAt', 'ASC')
      .addOrderBy('r.intervalIndex', 'ASC')
      .limit(BATCH_SIZE);
    // Postgres: rows another worker holds are skipped, not waited for. SQLite has one writer at a
    // time; there the conditional claim below is what keeps a row from going out twice.
    if (manager.connection.driver.options.type === 'postgres')
      query.setLock('pessimistic_write').setOnLocked('skip_locked');
    const due = await query.getMany();

    const outcome = { claimed: due.length, sent: 0, cancelled: 0 };
    const superseded = supersededReminders(due);
    const programs = new Map<string, Program | null>();
    for (const reminder of due) {
      if (superseded.has(reminder)) {
        outcome.cancelled += (await this.claim(manager, reminder, 'cancelled', now)) ? 1 : 0;
        continue;
      }
      if (!programs.has(reminder.programId))
        programs.set(reminder.programId, await this.programs.findById(reminder.programId));
      const program = programs.get(reminder.programId) ?? null;
      const participant = program
        ? await this.participants.find(program.id, reminder.participantId, manager)
        : null;
      // The check that stops reminders the moment details arrive, whoever set them.
      const open =
        program && participant && !detailsOnFile(participant)
          ? await this.openCashRewards(manager, participant)
          : [];
      if (!program || !participant || open.length === 0) {
        outcome.cancelled += await this.closeCycle(manager, reminder, now);
        continue;
      }
      if (!(await this.claim(manager, reminder, 'sent', now))) continue;
      const reward = open.find((r) => r.id === reminder.rewardId) ?? open[0];
      const message = await this.notify.execute(
        manager,
        this.reminderMessage(program, participant, reward, reminder),
      );
      await manager.update(PayoutReminder, { id: reminder.id }, { messageId: message.id });
      await this.webhooks.emit(
        manager,
        payoutReminderSent(program.id, {
          reminderId: reminder.id,
          participantId: participant.id,
          rewardId: reward.id,
          messageId: message.id,
        }),
      );
      outcome.sent++;
      // The cycle ends with its last reminder; a cash reward after that opens a new one.
      const left = await manager.countBy(PayoutReminder, {
        programId: reminder.programId,
        participantId: reminder.participantId,
        status: 'pending',
      });
      if (left === 0) await this.endCycle(manager, reminder, now);
    }
    return outcome;
  }

  /** Moves one pending row on; false when another worker already did. */
  private async claim(
    manager: EntityManager,
    reminder: PayoutReminder,
    status: 'sent' | 'cancelled',
    now: Date,
  ): Promise<boolean> {
    const result = await manager.update(
      PayoutReminder,
      { id: reminder.id, status: 'pending' },
      status === 'sent' ? { status, sentAt: now, updatedAt: now } : { status, updatedAt: now },
    );
    return result.affected === 1;
  }

  /** Cancels the participant's pending reminders and ends the cycle. */
  private async closeCycle(
    manager: EntityManager,
    reminder: PayoutReminder,
    now: Date,
  ): Promise<number> {
    const result = await manager.update(
      PayoutReminder,
      { programId: reminder.programId, participantId: reminder.participantId, status: 'pending' },
      { status: 'cancelled', updatedAt: now },
    );
    await this.endCycle(manager, reminder, now);
    return result.affected ?? 0;
  }

  private async endCycle(
    manager: EntityManager,
    reminder: PayoutReminder,
    now: Date,
  ): Promise<void> {
    await manager.update(
      PayoutReminder,
      { programId: reminder.programId, participantId: reminder.participantId, openCycle: true },
      { openCycle: null, updatedAt: now },
    );
  }

  private async openCashRewards(
    manager: EntityManager,
    participant: Participant,
  ): Promise<Reward[]> {
    return manager.find(Reward, {
      where: {
        programId: participant.programId,
        participantId: participant.id,
        kind: 'cash',
        status: 'available',
      },
      order: { createdAt: 'ASC' },
    });
  }

  private reminderMessage(
    program: Program,
    participant: Participant,
    reward: RewardFacts,
    reminder: PayoutReminder,
  ): Notification {
    const taxFormUrl = programLink(program, 'taxForm');
    const payoutUrl = programLink(program, 'payoutDetails');
    return {
      program,
      to: { participant },
      template: 'payout-reminder',
      context: {
        reward,
        extra: {
          taxFormMissing: !participant.taxFormOnFile,
          payoutDetailsMissing: !participant.payoutDetailsOnFile,
          // Null while the program has not set the page: the email then says how to reach it.
          taxFormUrl,
          payoutUrl,
          replyNeeded:
            (!participant.taxFormOnFile && !taxFormUrl) ||
            (!participant.payoutDetailsOnFile && !payoutUrl),
          reminderNumber: reminder.intervalIndex + 1,
        },
      },
      dedupeKey: `payout:${reminder.id}`,
    };
  }
}
