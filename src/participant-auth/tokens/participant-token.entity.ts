import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';

export type TokenPurpose = 'verification' | 'password-reset';

/** A one-time link sent to a participant. Only the SHA-256 of the token is stored. */
@Entity('participant_tokens')
@Index('UQ_participant_tokens_hash', ['tokenHash'], { unique: true })
@Index('IDX_participant_tokens_participant', ['programId', 'participantId', 'purpose', 'createdAt'])
export class ParticipantToken {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 200 })
  participantId: string;

  @Column('varchar', { length: 32 })
  purpose: TokenPurpose;

  @Column('varchar', { length: 64 })
  tokenHash: string;

  /** The address the link was sent to: it works only while the participant still has it. */
  @Column('varchar', { length: 320, default: '' })
  emailLower: string;

  @Column(TIMESTAMP)
  expiresAt: Date;

  /** Set when the token was consumed, or voided because a newer one was issued. */
  @Column(TIMESTAMP, { nullable: true })
  usedAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;
}
