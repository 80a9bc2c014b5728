import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { SmtpSecurity } from '../smtp/smtp-settings';

export type IntegrationStatus = 'connected' | 'failing';

/** A program's own SMTP server. At most one per program; while it exists, all mail goes through it. */
@Entity('smtp_integrations')
@Index('UQ_smtp_integrations_program', ['programId'], { unique: true })
export class SmtpIntegration {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 253 })
  host: string;

  @Column('integer')
  port: number;

  @Column('varchar', { length: 8 })
  security: SmtpSecurity;

  @Column('varchar', { length: 320, nullable: true })
  username: string | null;

  /** SecretBox-sealed, bound to the program id; never returned. */
  @Column('text', { nullable: true })
  passwordSealed: string | null;

  @Column('varchar', { length: 320, nullable: true })
  testFromAddress: string | null;

  @Column('varchar', { length: 320 })
  fromAddress: string;

  @Column('varchar', { length: 200, nullable: true })
  fromName: string | null;

  @Column('varchar', { length: 16 })
  status: IntegrationStatus;

  @Column('varchar', { length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column('text', { nullable: true })
  lastErrorMessage: string | null;

  @Column(TIMESTAMP, { nullable: true })
  lastErrorAt: Date | null;

  /** Changes on every change of the row, so pooled transports are rebuilt. */
  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  connectedAt: Date;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
