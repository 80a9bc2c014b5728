import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../../database/column-types';
import type { OAuthProviderName, OAuthPurpose } from '../../transports/oauth/oauth-providers';
import type { OAuthConnectRequest } from './oauth-connect-request';

/**
 * One authorization request under way: what it is for, and the PKCE verifier that only this
 * service knows. Found by the SHA-256 of its `state`; used once, within ten minutes.
 */
@Entity('oauth_states')
@Index('IDX_oauth_states_expires', ['expiresAt'])
export class OAuthState {
  /** SHA-256 (hex) of the `state` parameter; the state itself is not stored. */
  @PrimaryColumn('varchar', { length: 64 })
  id: string;

  @Column('varchar', { length: 36 })
  programId: string;

  @Column('varchar', { length: 16 })
  purpose: OAuthPurpose;

  @Column('varchar', { length: 16 })
  provider: OAuthProviderName;

  /** What to connect once the provider answers: the request, as checked. No secret is in it. */
  @Column('simple-json')
  request: OAuthConnectRequest;

  /** The PKCE code verifier, sealed and bound to the program. */
  @Column('text')
  verifierSealed: string;

  @Column(TIMESTAMP)
  expiresAt: Date;

  @Column(TIMESTAMP, { nullable: true })
  usedAt: Date | null;

  @Column(TIMESTAMP)
  createdAt: Date;
}
