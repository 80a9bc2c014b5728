import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** The category a program gave one of its template keys, instead of the key's default. */
@Entity('template_categories')
export class TemplateCategory {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 64 })
  templateKey: string;

  @Column('varchar', { length: 32 })
  category: string;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
