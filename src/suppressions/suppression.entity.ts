import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/**
 * Why an address is suppressed: `hard_bounce` (it bounced for good after it was accepted),
 * `complaint` (the person marked a message as spam), `manual` (someone suppressed it by hand),
 * `rejected` (the receiving server refused it at RCPT with 5.1.x while we sent).
 */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'manual', 'rejected'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/**
 * Which messages a suppression holds back: `all`, or `non-transactional` (a person who complained
 * still gets the links they ask for and what the law requires).
 */
export const SUPPRESSION_SCOPES = ['all', 'non-transactional'] as const;
export type SuppressionScope = (typeof SUPPRESSION_SCOPES)[number];

/** An address a program does not send to (within its scope), and why. One row per address. */
@Entity('suppressions')
@Index('IDX_suppressions_program_created', ['programId', 'createdAt'])
export class Suppression {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 320 })
  emailLower: string;

  @Column('varchar', { length: 64 })
  reason: SuppressionReason;

  /** The machine-readable cause when there is one, such as SMTP_RECIPIENT_UNKNOWN. */
  @Column('varchar', { length: 64, nullable: true })
  code: string | null;

  /** What happened, in words: the server's answer, or the note of a manual suppression. */
  @Column('text')
  detail: string;

  /** The outbox message that caused it, when one did. */
  @Column('varchar', { length: 36, nullable: true })
  messageId: string | null;

  @Column('varchar', { length: 32, default: 'all' })
  scope: SuppressionScope;

  @Column(TIMESTAMP)
  createdAt: Date;
}
