import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer, TIMESTAMP } from '../database/column-types';

/**
 * A participant's running taxable total for one calendar year (program time zone). Kept up to
 * date in the transaction of every reward write, so a W-9 check never scans the rewards.
 */
@Entity('participant_tax_years')
export class ParticipantTaxYear {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 200 })
  participantId: string;

  @PrimaryColumn('integer')
  year: number;

  /** Taxable rewards that year in whole USD cents, so the threshold compares with the exact sum. */
  @Column('bigint', { transformer: bigintTransformer })
  totalCents: number;

  @Column(TIMESTAMP, { nullable: true })
  w9NoticeSentAt: Date | null;

  /** The outbox message of the notice. */
  @Column('varchar', { length: 36, nullable: true })
  w9NoticeMessageId: string | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
