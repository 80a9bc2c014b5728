import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { OAuthProviderName } from '../oauth/oauth-providers';
import type { SmtpSecurity } from '../smtp/smtp-settings';
import type { AuthType } from './account-auth';

/**
 * `reauthorization_required`: the OAuth sign-in was revoked or expired; mail for the account waits,
 * queued, until it is connected again.
 */
export type IntegrationStatus = 'connected' | 'failing' | 'reauthorization_required';

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

  /** `password`, or `oauth2`: XOAUTH2 with the program's OAuth grant for this account. */
  @Column('varchar', { length: 16, default: 'password' })
  authType: AuthType;

  @Column('varchar', { length: 16, nullable: true })
  oauthProvider: OAuthProviderName | null;

  @Column('varchar', { length: 320, nullable: true })
  testFromAddress: string | null;

  @Column('varchar', { length: 320 })
  fromAddress: string;

  @Column('varchar', { length: 200, nullable: true })
  fromName: string | null;

  @Column('varchar', { length: 32 })
  status: IntegrationStatus;

  @Column('varchar', { length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column('text', { nullable: true })
  lastErrorMessage: string | null;

  @Column(TIMESTAMP, { nullable: true })
  lastErrorAt: Date | null;

  /** Messages a minute and a day this account may send; null: the provider's default, or none. */
  @Column('integer', { nullable: true })
  limitPerMinute: number | null;

  @Column('integer', { nullable: true })
  limitPerDay: number | null;

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
