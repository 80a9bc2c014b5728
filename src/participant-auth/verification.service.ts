import { Inject, Injectable } from '@nestjs/common';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';
import { BackgroundTasks } from '../common/async/background-tasks';
import { tokenInvalid } from './tokens/token-errors';
import { TokenMailer } from './tokens/token-mailer.service';
import { ParticipantTokensService } from './tokens/participant-tokens.service';

/** Email verification for participants: a one-time link, then the confirmation. */
@Injectable()
export class VerificationService {
  constructor(
    private readonly participants: ParticipantsService,
    private readonly tokens: ParticipantTokensService,
    private readonly mailer: TokenMailer,
    private readonly background: BackgroundTasks,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /**
   * Emails a verification link if the address belongs to a participant. Returns before looking,
   * so the answer does not tell whether it does.
   */
  request(program: Program, email: string): void {
    this.background.run('verification-email', async () => {
      const participant = await this.participants.findByEmail(program.id, email);
      if (!participant) return;
      const outcome = await this.mailer.send(program, participant, {
        purpose: 'verification',
        template: 'verification',
        linkVariable: 'verifyUrl',
        page: 'verify',
        ttlSeconds: this.config.VERIFICATION_TOKEN_TTL_SECONDS,
      });
      if (outcome === 'capped')
        this.logger.info(
          { programId: program.id, participantId: participant.id },
          'verification email skipped: hourly allowance used',
        );
    });
  }

  async confirm(
    program: Program,
    token: string,
  ): Promise<{ participantId: string; emailVerified: true }> {
    const used = await this.tokens.consume(program.id, 'verification', token);
    if (!used) throw tokenInvalid('verification');
    await this.participants.setEmailVerified(program.id, used.participantId, new Date());
    return { participantId: used.participantId, emailVerified: true };
  }
}
