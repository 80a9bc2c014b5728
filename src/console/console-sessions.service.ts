import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { generateToken, sha256Hex } from '../common/crypto/tokens';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { ConsoleSession } from './console-session.entity';

/** How long a sign-in lasts; a working day, then the key is asked for again. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export interface OpenedSession {
  /** The cookie value; only its hash is stored. */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Console sessions kept in the database, so signing out really ends one and every API process
 * behind a load balancer knows it. The cookie holds a random id; the row holds its hash.
 */
@Injectable()
export class ConsoleSessionsService {
  constructor(
    @InjectRepository(ConsoleSession) private readonly sessions: Repository<ConsoleSession>,
    private readonly programs: ProgramsService,
  ) {}

  /** The program a secret key belongs to; publishable keys and unknown keys sign nobody in. */
  async programForSecretKey(key: string): Promise<Program | null> {
    if (!key.startsWith('sk_')) return null;
    return this.programs.findByKey(key);
  }

  async open(program: Program, now = new Date()): Promise<OpenedSession> {
    // Sign-ins are rare; clearing expired rows here keeps the table small without a sweeper.
    await this.sessions.delete({ expiresAt: LessThan(now) });
    const id = generateToken('', 32);
    const csrfToken = generateToken('', 32);
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await this.sessions.insert({
      idHash: sha256Hex(id),
      programId: program.id,
      keyHash: program.secretKeyHash,
      csrfToken,
      expiresAt,
      createdAt: now,
    });
    return { id, csrfToken, expiresAt };
  }

  /** The live session and its program, or null when expired, signed out, or the key was rotated since. */
  async resolve(
    id: string,
    now = new Date(),
  ): Promise<{ session: ConsoleSession; program: Program } | null> {
    if (!id || id.length > 100) return null;
    const session = await this.sessions.findOneBy({ idHash: sha256Hex(id) });
    if (!session) return null;
    const program =
      session.expiresAt > now ? await this.programs.findById(session.programId) : null;
    if (!program || program.secretKeyHash !== session.keyHash) {
      await this.sessions.delete({ idHash: session.idHash });
      return null;
    }
    return { session, program };
  }

  async close(id: string): Promise<void> {
    if (id) await this.sessions.delete({ idHash: sha256Hex(id) });
  }
}
