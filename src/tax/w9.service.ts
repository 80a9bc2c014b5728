import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { NotifyParticipant } from '../notifications/notify-participant';
import { WebhookEvents } from '../webhooks/webhook-events';
import { w9Required } from '../webhooks/webhook-payloads';
import { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';
import { programLink } from '../programs/program-links';
import { RewardFacts } from '../rewards/reward-facts';
import { RewardHooks } from '../rewards/reward-hooks';
import { isOwed } from '../rewards/states/reward-states';
import { ParticipantTaxYear } from './participant-tax-year.entity';
import { centsToUsd } from '../common/money/cents';
import { aboveThreshold, w9NoticeDue, w9ThresholdFor, yearInTimeZone } from './tax-year';

export interface TaxSummary {
  year: number;
  totalUsd: number;
  thresholdUsd: number;
  /** Above the threshold with no tax form on file. */
  w9Required: boolean;
  aboveThreshold: boolean;
  taxFormOnFile: boolean;
  w9NoticeSentAt: string | null;
  /**
   * Set when a notice went out and the total fell below the threshold since (rewards reversed,
   * denied, cancelled or expired leave it): the notice is not withdrawn.
   */
  note?: string;
}

/**
 * The W-9 notice: a running taxable total per participant and calendar year (program time
 * zone), moved in the transaction of every reward write, and exactly one notice per
 * participant and year once it is above the threshold with no tax form on file.
 */
@Injectable()
export class W9Service implements OnModuleInit {
  constructor(
    @InjectRepository(ParticipantTaxYear) private readonly years: Repository<ParticipantTaxYear>,
    private readonly participants: ParticipantsService,
    private readonly notify: NotifyParticipant,
    private readonly hooks: RewardHooks,
    private readonly config: AppConfig,
    private readonly webhooks: WebhookEvents,
  ) {}

  // In the transaction of every reward write and status change.
  onModuleInit(): void {
    this.hooks.onRewardWritten((manager, reward, program, participant) =>
      this.onRewardWritten(manager, reward, program, participant),
    );
    this.hooks.onRewardStatusChanged((manager, reward, previous, program) =>
      this.onRewardStatusChanged(manager, reward, previous, program),
    );
  }

  /** Adds a new reward's taxable amount to its year and sends the notice if this crossed the line. */
  async onRewardWritten(
    manager: EntityManager,
    reward: RewardFacts,
    program: Program,
    participant: Participant,
  ): Promise<void> {
    if (!isOwed(reward.status)) return;
    await this.add(manager, reward, program, participant, 1);
  }

  /**
   * The total counts what the program owes: a reward enters it when it becomes available (a
   * pending one is not owed yet) and leaves it when reversed, denied, cancelled or expired.
   * A notice already sent stays sent.
   */
  async onRewardStatusChanged(
    manager: EntityManager,
    reward: RewardFacts,
    previous: RewardFacts['status'],
    program: Program,
  ): Promise<void> {
    const was = isOwed(previous);
    const is = isOwed(reward.status);
    if (was === is) return;
    if (!is) {
      await this.add(manager, reward, program, null, -1);
    } else {
      await this.add(
        manager,
        reward,
        program,
        await this.participants.find(program.id, reward.participantId, manager),
        1,
      );
    }
  }

  async summary(program: Program, participantId: string, year?: number): Promise<TaxSummary> {
    const participant = await this.participants.get(program.id, participantId);
    const taxYear = year ?? yearInTimeZone(new Date(), program.timezone);
    const row = await this.years.findOneBy({ programId: program.id, participantId, year: taxYear });
    const totalCents = row?.totalCents ?? 0;
    const thresholdUsd = w9ThresholdFor(program.settings, taxYear);
    return {
      year: taxYear,
      totalUsd: centsToUsd(totalCents),
      thresholdUsd,
      w9Required: w9NoticeDue(totalCents, thresholdUsd, participant.taxFormOnFile),
      aboveThreshold: aboveThreshold(totalCents, thresholdUsd),
      taxFormOnFile: participant.taxFormOnFile,
      w9NoticeSentAt: row?.w9NoticeSentAt ? new Date(row.w9NoticeSentAt).toISOString() : null,
      ...(row?.w9NoticeSentAt && !aboveThreshold(totalCents, thresholdUsd)
        ? {
            note: 'The W-9 notice sent this year stays sent: the total fell below the threshold since, as reversed, denied, cancelled and expired rewards leave it, but a notice is not withdrawn.',
          }
        : {}),
    };
  }

  private async add(
    manager: EntityManager,
    reward: RewardFacts,
    program: Program,
    participant: Participant | null,
    sign: 1 | -1,
  ): Promise<void> {
    const cents = reward.taxableCents;
    if (!(cents > 0)) return;
    const key = {
      programId: program.id,
      participantId: reward.participantId,
      year: yearInTimeZone(new Date(reward.createdAt), program.timezone),
    };
    const total = await this.increment(manager, key, sign * cents);
    if (sign < 0 || !participant) return;
    await this.noticeIfDue(manager, key, total, program, participant);
  }

  /**
   * One UPDATE ... SET totalCents = totalCents + x: concurrent writers queue on the row lock and
   * none loses the other's amount. Integer cents, so the sum is exact on both databases. The new
   * total is read back in the same transaction.
   */
  private async increment(
    manager: EntityManager,
    key: Pick<ParticipantTaxYear, 'programId' | 'participantId' | 'year'>,
    cents: number,
  ): Promise<ParticipantTaxYear> {
    const now = new Date();
    await manager
      .createQueryBuilder()
      .insert()
      .into(ParticipantTaxYear)
      .values({
        ...key,
        totalCents: 0,
        w9NoticeSentAt: null,
        w9NoticeMessageId: null,
        createdAt: now,
        updatedAt: now,
      })
      .orIgnore()
      .execute();
    const column = manager.connection.driver.escape('totalCents');
    await manager
      .createQueryBuilder()
      .update(ParticipantTaxYear)
      .set({ totalCents: () => `${column} + :cents`, updatedAt: now })
      .where(key)
      .setParameter('cents', cents)
      .execute();
    return manager.findOneByOrFail(ParticipantTaxYear, key);
  }

  private async noticeIfDue(
    manager: EntityManager,
    key: Pick<ParticipantTaxYear, 'programId' | 'participantId' | 'year'>,
    row: ParticipantTaxYear,
    program: Program,
    participant: Participant,
  ): Promise<void> {
    const thresholdUsd = w9ThresholdFor(program.settings, key.year);
    if (row.w9NoticeSentAt || !w9NoticeDue(row.totalCents, thresholdUsd, participant.taxFormOnFile))
      return;
    // The claim: of two transactions that cross the line together, one sets it and sends.
    const now = new Date();
    const claimed = await manager.update(
      ParticipantTaxYear,
      { ...key, w9NoticeSentAt: IsNull() },
      { w9NoticeSentAt: now, updatedAt: now },
    );
    if (claimed.affected !== 1) return;
    const message = await this.notify.execute(manager, {
      program,
      to: { participant },
      template: 'w9-required',
      context: {
        extra: {
          year: key.year,
          totalUsd: centsToUsd(row.totalCents),
          thresholdUsd,
          // Null while the program has not set the page: the email then says how to reach it.
          taxFormUrl: programLink(program, 'taxForm'),
        },
      },
      dedupeKey: `w9:${participant.id}:${key.year}`,
    });
    await manager.update(ParticipantTaxYear, key, { w9NoticeMessageId: message.id });
    await this.webhooks.emit(
      manager,
      w9Required(program.id, participant.id, {
        year: key.year,
        totalUsd: centsToUsd(row.totalCents),
        thresholdUsd,
        messageId: message.id,
      }),
    );
  }
}
