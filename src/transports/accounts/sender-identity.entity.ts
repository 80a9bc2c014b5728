import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { OAuthProviderName } from '../oauth/oauth-providers';
import type { SmtpSecurity } from '../smtp/smtp-settings';
import type { AuthType } from './account-auth';
import type { IntegrationStatus } from './smtp-integration.entity';

/** `needs_password`: the program's server moved since the password was entered; nothing is sent with it. */
export type SenderStatus = IntegrationStatus | 'needs_password';

export type SaveToSentMode = 'auto' | 'on' | 'off';
export const SAVE_TO_SENT_MODES: readonly SaveToSentMode[] = ['auto', 'on', 'off'];

/** One marketer or agent with their own login on the program's SMTP server. */
@Entity('sender_identities')
@Index('UQ_sender_identities_program_sender', ['programId', 'senderId'], { unique: true })
export class SenderIdentity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  /** The client's own id for this sender, as rules name it. */
  @Column('varchar', { length: 200 })
  senderId: string;

  /** Login and From address. */
  @Column('varchar', { length: 320 })
  email: string;

  @Column('varchar', { length: 200, nullable: true })
  fromName: string | null;

  /** SecretBox-sealed, bound to the program id; never returned. Null when it signs in with OAuth. */
  @Column('text', { nullable: true })
  passwordSealed: string | null;

  /** `password`, or `oauth2`: XOAUTH2 with the program's OAuth grant for this account. */
  @Column('varchar', { length: 16, default: 'password' })
  authType: AuthType;

  @Column('varchar', { length: 16, nullable: true })
  oauthProvider: OAuthProviderName | null;

  @Column('varchar', { length: 8 })
  saveToSent: SaveToSentMode;

  /** Messages a minute and a day this account may send; null: the integration's, the provider's default, or none. */
  @Column('integer', { nullable: true })
  limitPerMinute: number | null;

  @Column('integer', { nullable: true })
  limitPerDay: number | null;

  /** IMAP server for Sent copies; derived from the SMTP host when unset. */
  @Column('varchar', { length: 253, nullable: true })
  imapHost: string | null;

  @Column('integer', { nullable: true })
  imapPort: number | null;

  @Column('varchar', { length: 8, nullable: true })
  imapSecurity: SmtpSecurity | null;

  /** A mailbox to file copies in, when the server's Sent folder cannot be found by itself. */
  @Column('varchar', { length: 200, nullable: true })
  sentFolder: string | null;

  /** The SMTP server (host:port:security) the password was entered and verified for. */
  @Column('varchar', { length: 300, default: '' })
  smtpEndpoint: string;

  /** The IMAP server the password may be used at for Sent copies (as set, or guessed then). */
  @Column('varchar', { length: 300, nullable: true })
  imapEndpoint: string | null;

  @Column('varchar', { length: 32 })
  status: SenderStatus;

  @Column('varchar', { length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column('text', { nullable: true })
  lastErrorMessage: string | null;

  @Column(TIMESTAMP, { nullable: true })
  lastErrorAt: Date | null;

  @Column('integer')
  version: number;

  @Column(TIMESTAMP)
  verifiedAt: Date;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
