import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { hashPassword, verifyPassword } from '../common/crypto/tokens';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';

/** Sign-in of participants with the password they set through a reset. */
@Injectable()
export class ParticipantSessionsService {
  // A hash of nothing anyone knows: an unknown address is checked against it, so the answer
  // takes as long as for a known one. Started, not awaited: start-up does not wait on a
  // deliberately slow hash.
  private readonly dummyHash: Promise<string> = hashPassword(randomBytes(32).toString('base64url'));

  constructor(private readonly participants: ParticipantsService) {}

  async signIn(
    program: Program,
    email: string,
    password: string,
  ): Promise<{ participantId: string }> {
    const participant = await this.participants.findByEmail(program.id, email);
    const stored = participant?.passwordHash ?? (await this.dummyHash);
    const matches = await verifyPassword(password, stored);
    if (!participant?.passwordHash || !matches) {
      throw new AppError(
        HttpStatus.UNAUTHORIZED,
        'INVALID_CREDENTIALS',
        'The email address or password is wrong.',
      );
    }
    return { participantId: participant.id };
  }
}
