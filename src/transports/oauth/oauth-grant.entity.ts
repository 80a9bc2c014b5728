import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { OAuthProviderName } from './oauth-providers';

export type OAuthGrantStatus = 'active' | 'revoked';

/**
 * `integration`, `sender:<senderId>` or `inbound-mailbox`: the account of the program that logs
 * in with this grant.
 */
export type OAuthGrantOwner = 'integration' | 'inbound-mailbox' | `sender:${string}`;

export const senderOwner = (senderId: string): OAuthGrantOwner => `sender:${senderId}`;

/**
 * One OAuth 2.0 sign-in of a mailbox, for one account of a program: the refresh token it was
 * given and the access token in use, both sealed like passwords, shared by every process that
 * sends through the account. One row per program and owner; connecting again replaces it.
 */
@Entity('oauth_grants')
@Index('UQ_oauth_grants_program_owner', ['programId', 'owner'], { unique: true })
export class OAuthGrant {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 220 })
  owner: OAuthGrantOwner;

  @Column('varchar', { length: 16 })
  provider: OAuthProviderName;

  /** The mailbox signed in to: the login of XOAUTH2. */
  @Column('varchar', { length: 320 })
  email: string;

  /** The scopes granted, space-separated, as asked for again on refresh. */
  @Column('text')
  scope: string;

  /** The token endpoint the refresh token was issued by: it is never sent anywhere else. */
  @Column('text')
  tokenUrl: string;

  /** SecretBox-sealed, bound to the program id; never returned, never logged. */
  @Column('text')
  refreshTokenSealed: string;

  @Column('text', { nullable: true })
  accessTokenSealed: string | null;

  @Column(TIMESTAMP, { nullable: true })
  accessTokenExpiresAt: Date | null;

  /** Changes at every refresh: a process that waited for another's refresh sees it by this. */
  @Column('integer')
  tokenVersion: number;

  /** A refresh under way in some process, until then; another process waits for its result. */
  @Column(TIMESTAMP, { nullable: true })
  refreshClaimUntil: Date | null;

  @Column('varchar', { length: 16 })
  status: OAuthGrantStatus;

  @Column('varchar', { length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column('text', { nullable: true })
  lastErrorMessage: string | null;

  @Column(TIMESTAMP, { nullable: true })
  refreshedAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;

  @Column(TIMESTAMP)
  updatedAt: Date;
}
