import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { hashPassword, verifyPassword } from '../../common/crypto/tokens';
import { ParticipantsService } from '../../participants/participants.service';
import { Program } from '../../programs/program.entity';

/** Sign-in of participants with the password they set through a reset. */
@Injectable()
export class SessionsService implements OnModuleInit {
  // A hash of nothing anyone knows: an unknown address is checked against it, so the answer
  // takes as long as for a known one.
  private dummyHash = '';

  constructor(private readonly participants: ParticipantsService) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hashPassword(randomBytes(32).toString('base64url'));
  }

  async signIn(program: Program, email: string, password: string): Promise<{ participantId: string }> {
    const participant = await this.participants.findByEmail(program.id, email);
    const stored = participant?.passwordHash ?? this.dummyHash;
    const matches = await verifyPassword(password, stored);
    if (!participant?.passwordHash || !matches) {
      throw new AppError(HttpStatus.UNAUTHORIZED, 'INVALID_CREDENTIALS', 'The email address or password is wrong.');
    }
    return { participantId: participant.id };
  }
}
