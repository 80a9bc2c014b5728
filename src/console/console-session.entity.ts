import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from '../database/column-types';

/** A signed-in console browser. Only the hash of the session id is kept, like API keys. */
@Entity('console_sessions')
@Index('IDX_console_sessions_program', ['programId'])
@Index('IDX_console_sessions_expires', ['expiresAt'])
export class ConsoleSession {
  /** sha256 (hex) of the session id in the cookie. */
  @PrimaryColumn('varchar', { length: 64 })
  idHash: string;

  @Column('varchar', { length: 36 })
  programId: string;

  /** The program's secret key hash at sign-in: rotating the key ends its console sessions. */
  @Column('varchar', { length: 64 })
  keyHash: string;

  /** Sent back in every form; a POST without it is refused. */
  @Column('varchar', { length: 64 })
  csrfToken: string;

  @Column(TIMESTAMP)
  expiresAt: Date;

  @Column(TIMESTAMP)
  createdAt: Date;
}
