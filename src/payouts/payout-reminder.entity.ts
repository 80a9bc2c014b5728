import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

export type PayoutReminderStatus = 'pending' | 'sent' | 'cancelled';

/**
 * One payout reminder due at a stored time. Reminders come in cycles: the first cash reward
 * with details missing opens one (a row per interval); cash rewards earned while it is open add
 * nothing, so a participant gets each interval's reminder once, however many rewards wait.
 */
@Entity('payout_reminders')
// openCycle is true while the cycle is open and NULL once it closed. NULLs never collide in a
// unique index (SQLite and Postgres alike), so this allows one row per interval in the open
// cycle and any number in closed ones, without a partial index.
@Index('UQ_payout_reminders_cycle', ['programId', 'participantId', 'intervalIndex', 'openCycle'], {
  unique: true,
})
@Index('IDX_payout_reminders_status_due', ['status', 'dueAt'])
export class PayoutReminder {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 200 })
  participantId: string;

  /** The cash reward that opened the cycle. */
  @Column('varchar', { length: 64 })
  rewardId: string;

  /** Position in the program's payoutReminderIntervals; reminder number - 1. */
  @Column('integer')
  intervalIndex: number;

  @Column(TIMESTAMP)
  dueAt: Date;

  @Column('varchar', { length: 16 })
  status: PayoutReminderStatus;

  @Column('boolean', { nullable: true })
  openCycle: boolean | null;

  @Column(TIMESTAMP, { nullable: true })
  sentAt: Date | null;

  /** The outbox message of the reminder. */
  @Column('varchar', { length: 36, nullable: true })
  messageId: string | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
