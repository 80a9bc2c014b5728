import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** An address the receiving server said does not exist (5.1.x); later mail to it is not sent. */
@Entity('suppressions')
export class Suppression {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 320 })
  emailLower: string;

  @Column('varchar', { length: 64 })
  reason: string;

  @Column('text')
  detail: string;

  @Column(TIMESTAMP)
  createdAt: Date;
}
