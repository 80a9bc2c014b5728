import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** How a participant's choice about a category was made. */
export const CONSENT_SOURCES = ['one-click', 'page', 'mailto', 'api', 'complaint'] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/**
 * A participant's choice about one category of a program's email. No row: subscribed (the
 * program's own basis for sending); a row says what the person (or a complaint) decided, and when.
 */
@Entity('consent_preferences')
export class ConsentPreference {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 200 })
  participantId: string;

  @PrimaryColumn('varchar', { length: 32 })
  category: string;

  @Column('boolean')
  subscribed: boolean;

  @Column('varchar', { length: 16 })
  source: ConsentSource;

  @Column(TIMESTAMP)
  changedAt: Date;
}
