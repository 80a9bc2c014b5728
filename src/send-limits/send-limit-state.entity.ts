import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/**
 * What the sending limits of one account have counted, when there is no Redis to count in (see
 * SendLimitState). Written only with a compare-and-set on `version`, so processes sharing the
 * database never count one send twice or lose one.
 */
@Entity('send_limit_states')
export class SendLimitStateRow {
  /** The account: its transport key (an integration, or a sender identity on it). */
  @PrimaryColumn('varchar', { length: 300 })
  accountKey: string;

  @Column(TIMESTAMP, { nullable: true })
  minuteStart: Date | null;

  @Column('integer', { default: 0 })
  minuteCount: number;

  @Column(TIMESTAMP, { nullable: true })
  dayStart: Date | null;

  @Column('integer', { default: 0 })
  dayCount: number;

  /** Set by a quota reply of the server: nothing is sent from the account before then. */
  @Column(TIMESTAMP, { nullable: true })
  pausedUntil: Date | null;

  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
