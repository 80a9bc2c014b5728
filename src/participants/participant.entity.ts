import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** `inbound`: created by an email they wrote to the program. */
export type ParticipantSource = 'inbound';

@Entity('participants')
@Index('UQ_participants_program_email', ['programId', 'emailLower'], { unique: true })
export class Participant {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  /** The client's own id for this person. */
  @PrimaryColumn('varchar', { length: 200 })
  id: string;

  @Column('varchar', { length: 320 })
  email: string;

  /** Lower-cased email: unique in the program, for look-ups by address (verification, reset, sign-in). */
  @Column('varchar', { length: 320 })
  emailLower: string;

  @Column('varchar', { length: 200, nullable: true })
  firstName: string | null;

  @Column('varchar', { length: 200, nullable: true })
  lastName: string | null;

  @Column('varchar', { length: 16, nullable: true })
  locale: string | null;

  @Column('varchar', { length: 2, nullable: true })
  country: string | null;

  @Column('boolean', { default: false })
  taxFormOnFile: boolean;

  @Column('boolean', { default: false })
  payoutDetailsOnFile: boolean;

  @Column('simple-json', { nullable: true })
  customFields: Record<string, unknown> | null;

  @Column(TIMESTAMP, { nullable: true })
  emailVerifiedAt: Date | null;

  /** How the participant came to be, when not through the API: `inbound` for an email they sent. */
  @Column('varchar', { length: 16, nullable: true })
  source: ParticipantSource | null;

  /** scrypt hash of the participant's microsite password. */
  @Column('varchar', { length: 255, nullable: true })
  passwordHash: string | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
