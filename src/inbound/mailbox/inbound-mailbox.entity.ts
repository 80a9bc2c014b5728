import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintTransformer, TIMESTAMP } from '../../database/column-types';
import type { AuthType } from '../../transports/accounts/account-auth';
import type { OAuthProviderName } from '../../transports/oauth/oauth-providers';
import type { SmtpSecurity } from '../../transports/smtp/smtp-settings';

export type MailboxReadMode = 'bounces' | 'bounces-and-replies';
export const MAILBOX_READ_MODES: readonly MailboxReadMode[] = ['bounces', 'bounces-and-replies'];

/** `reauthorization_required`: its OAuth sign-in was revoked or expired; it is not read until connected again. */
export type MailboxStatus = 'connected' | 'failing' | 'reauthorization_required';

/**
 * A program's own mailbox, read over IMAP for what comes back to mail sent through its own SMTP
 * server. At most one per program. Its id names one folder of one account on one server: a PUT
 * that changes any of them makes a new row, so UIDs read from another folder never count here.
 */
@Entity('inbound_mailboxes')
@Index('UQ_inbound_mailboxes_program', ['programId'], { unique: true })
export class InboundMailbox {
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

  @Column('varchar', { length: 320 })
  username: string;

  /** SecretBox-sealed, bound to the program id; never returned, only sent to this host. Null with OAuth. */
  @Column('text', { nullable: true })
  passwordSealed: string | null;

  /** `password`, or `oauth2`: XOAUTH2 with the program's OAuth grant for this account. */
  @Column('varchar', { length: 16, default: 'password' })
  authType: AuthType;

  @Column('varchar', { length: 16, nullable: true })
  oauthProvider: OAuthProviderName | null;

  @Column('varchar', { length: 255 })
  folder: string;

  @Column('varchar', { length: 24 })
  readMode: MailboxReadMode;

  @Column('varchar', { length: 32 })
  status: MailboxStatus;

  @Column('varchar', { length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column('text', { nullable: true })
  lastErrorMessage: string | null;

  @Column(TIMESTAMP, { nullable: true })
  lastErrorAt: Date | null;

  /** Failed reads in a row; the next is tried at retryAt, later after each failure. */
  @Column('integer', { default: 0 })
  failures: number;

  @Column(TIMESTAMP, { nullable: true })
  retryAt: Date | null;

  /**
   * Where reading got to: the folder's UIDVALIDITY and the highest UID looked at (taken in or
   * passed over). Everything above it is new; a changed UIDVALIDITY means the UIDs were reassigned.
   */
  @Column('bigint', { nullable: true, transformer: bigintTransformer })
  uidValidity: number | null;

  @Column('bigint', { nullable: true, transformer: bigintTransformer })
  lastUid: number | null;

  /** The last time the folder was read to the end. */
  @Column(TIMESTAMP, { nullable: true })
  lastCheckedAt: Date | null;

  /** The worker reading it, until when: taken and renewed with conditional updates. */
  @Column('varchar', { length: 100, nullable: true })
  leaseOwner: string | null;

  @Column(TIMESTAMP, { nullable: true })
  leaseUntil: Date | null;

  /** Changes on every PUT, so the worker reading it starts again with the new settings. */
  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  verifiedAt: Date;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
