import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** A program's own version of one template in one locale; the defaults live in `templates/`. */
@Entity('template_overrides')
export class TemplateOverrideEntity {
  @PrimaryColumn('varchar', { length: 36 })
  programId: string;

  @PrimaryColumn('varchar', { length: 64 })
  key: string;

  /** Canonical BCP 47 tag (`pt-BR`), as the locale chain of a render spells it. */
  @PrimaryColumn('varchar', { length: 16 })
  locale: string;

  @Column('varchar', { length: 300 })
  subject: string;

  @Column('text')
  html: string;

  /** Null: the plain-text part is derived from the HTML when rendering. */
  @Column('text', { nullable: true })
  text: string | null;

  /** 1 on create, +1 on every save; keys the compiled-template cache. */
  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
