import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull, MoreThan, MoreThanOrEqual, Repository } from 'typeorm';
import { generateToken, sha256Hex } from '../../common/crypto/tokens';
import { ParticipantsService } from '../../participants/participants.service';
import { ParticipantToken, TokenPurpose } from './participant-token.entity';

export interface TokenOwner {
  programId: string;
  participantId: string;
  purpose: TokenPurpose;
}

/** One-time tokens of participants: issued, consumed once, voided. Only hashes are stored. */
@Injectable()
export class ParticipantTokensService {
  constructor(
    @InjectRepository(ParticipantToken) private readonly tokens: Repository<ParticipantToken>,
    private readonly participants: ParticipantsService,
  ) {}

  /**
   * Issues a token that replaces the owner's earlier ones of the same purpose. Returns the
   * token itself: this is the only place it exists, to be put in the email and forgotten.
   */
  async issue(
    manager: EntityManager,
    owner: TokenOwner,
    sentTo: string,
    ttlMs: number,
  ): Promise<{ id: string; token: string; expiresAt: Date }> {
    await this.voidOpen(manager, owner);
    const token = generateToken('', 32);
    const now = new Date();
    const row: ParticipantToken = {
      id: randomUUID(),
      ...owner,
      tokenHash: sha256Hex(token),
      emailLower: sentTo.trim().toLowerCase(),
      expiresAt: new Date(now.getTime() + ttlMs),
      usedAt: null,
      createdAt: now,
    };
    await manager.insert(ParticipantToken, row);
    return { id: row.id, token, expiresAt: row.expiresAt };
  }

  /** How many tokens the owner was sent since `since`; bounds the emails one address gets. */
  async countIssuedSince(manager: EntityManager, owner: TokenOwner, since: Date): Promise<number> {
    return manager.countBy(ParticipantToken, { ...owner, createdAt: MoreThanOrEqual(since) });
  }

  /**
   * Uses the token up if it is valid: one conditional UPDATE, so of two concurrent confirms
   * exactly one wins. Null for a wrong, expired or used token, and for one sent to an address
   * the participant no longer has: a link proves the address it went to, not the person.
   */
  async consume(
    programId: string,
    purpose: TokenPurpose,
    token: string,
  ): Promise<ParticipantToken | null> {
    const tokenHash = sha256Hex(token);
    const now = new Date();
    const result = await this.tokens.update(
      { tokenHash, programId, purpose, usedAt: IsNull(), expiresAt: MoreThan(now) },
      { usedAt: now },
    );
    if (result.affected !== 1) return null;
    const used = await this.tokens.findOneBy({ tokenHash });
    if (!used) return null;
    const participant = await this.participants.find(programId, used.participantId);
    return participant && participant.emailLower === used.emailLower ? used : null;
  }

  /**
   * The token's row whatever its state (valid, expired or used), without using it up: a hosted
   * page explains an expired or used link and sends a new one to its owner. Null for a token
   * that was never issued.
   */
  async lookUp(purpose: TokenPurpose, token: string): Promise<ParticipantToken | null> {
    return this.tokens.findOneBy({ tokenHash: sha256Hex(token), purpose });
  }

  /** Voids every unused token of the owner. */
  async voidOpen(manager: EntityManager | undefined, owner: TokenOwner): Promise<void> {
    await (manager?.getRepository(ParticipantToken) ?? this.tokens).update(
      { ...owner, usedAt: IsNull() },
      { usedAt: new Date() },
    );
  }
}
