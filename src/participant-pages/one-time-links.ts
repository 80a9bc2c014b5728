import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import type {
  TokenPurpose,
  ParticipantToken,
} from '../participant-auth/tokens/participant-token.entity';
import { ParticipantTokensService } from '../participant-auth/tokens/participant-tokens.service';
import type { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';

/**
 * What a one-time link is now: usable, past its time, used (or replaced by a newer one), or
 * sent to an address the participant no longer has. Told apart only for a token that was
 * really issued, so it helps no one who guesses.
 */
export type LinkState = 'valid' | 'expired' | 'used' | 'changed';

export interface ResolvedLink {
  token: string;
  row: ParticipantToken;
  program: Program;
  participant: Participant;
  state: LinkState;
}

const MAX_TOKEN_LENGTH = 512;

export function linkStateOf(
  row: Pick<ParticipantToken, 'usedAt' | 'expiresAt' | 'emailLower'>,
  participant: Pick<Participant, 'emailLower'>,
  now: Date,
): LinkState {
  if (participant.emailLower !== row.emailLower) return 'changed';
  if (row.usedAt) return 'used';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

export function isTokenInvalid(err: unknown): boolean {
  return err instanceof AppError && err.code === 'TOKEN_INVALID';
}

/** The program and participant of a verification or reset link, and the link's state. */
@Injectable()
export class OneTimeLinks {
  constructor(
    private readonly tokens: ParticipantTokensService,
    private readonly programs: ProgramsService,
    private readonly participants: ParticipantsService,
  ) {}

  /** Null for a token that was never issued, or whose program or participant is gone. */
  async resolve(purpose: TokenPurpose, token: string | undefined): Promise<ResolvedLink | null> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return null;
    const row = await this.tokens.lookUp(purpose, token);
    if (!row) return null;
    const program = await this.programs.findById(row.programId);
    if (!program) return null;
    const participant = await this.participants.find(row.programId, row.participantId);
    if (!participant) return null;
    return { token, row, program, participant, state: linkStateOf(row, participant, new Date()) };
  }

  /** The program a link belongs to, for the per-program rate limit; null when it names none. */
  async programIdOf(purpose: TokenPurpose, token: string | undefined): Promise<string | null> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return null;
    return (await this.tokens.lookUp(purpose, token))?.programId ?? null;
  }
}
