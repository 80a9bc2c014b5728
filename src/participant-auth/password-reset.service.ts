import { Inject, Injectable } from '@nestjs/common';
import { hashPassword } from '../common/crypto/tokens';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { NotifyParticipant } from '../notifications/notify-participant';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';
import { BackgroundTasks } from '../common/async/background-tasks';
import { participantPageLink } from '../programs/program-links';
import { tokenInvalid } from './tokens/token-errors';
import { TokenMailer } from './tokens/token-mailer.service';
import { ParticipantTokensService } from './tokens/participant-tokens.service';

/** Password reset for participants: a one-time link, then the new password. */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly participants: ParticipantsService,
    private readonly tokens: ParticipantTokensService,
    private readonly mailer: TokenMailer,
    private readonly notify: NotifyParticipant,
    private readonly background: BackgroundTasks,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Emails a reset link if the address belongs to a participant; returns before looking. */
  request(program: Program, email: string): void {
    this.background.run('password-reset-email', async () => {
      const participant = await this.participants.findByEmail(program.id, email);
      if (!participant) return;
      const outcome = await this.mailer.send(program, participant, {
        purpose: 'password-reset',
        template: 'password-reset',
        linkVariable: 'resetUrl',
        page: 'resetPassword',
        ttlSeconds: this.config.PASSWORD_RESET_TOKEN_TTL_SECONDS,
      });
      if (outcome === 'capped')
        this.logger.info(
          { programId: program.id, participantId: participant.id },
          'password reset email skipped: hourly allowance used',
        );
    });
  }

  /** Sets the new password, voids the participant's other reset links and tells them. */
  async confirm(
    program: Program,
    token: string,
    password: string,
  ): Promise<{ participantId: string }> {
    // The token is used up first, so a flood of wrong tokens costs no scrypt work.
    const used = await this.tokens.consume(program.id, 'password-reset', token);
    if (!used) throw tokenInvalid('password reset');
    const participantId = used.participantId;
    await this.participants.setPasswordHash(
      program.id,
      participantId,
      await hashPassword(password),
    );
    await this.tokens.voidOpen(undefined, {
      programId: program.id,
      participantId,
      purpose: 'password-reset',
    });

    const participant = await this.participants.find(program.id, participantId);
    if (participant) {
      await this.notify.execute(undefined, {
        program,
        to: { participant },
        template: 'password-changed',
        context: {
          extra: {
            changedAt: new Date(),
            resetUrl: participantPageLink(program, this.config.PUBLIC_BASE_URL, 'resetPassword'),
          },
        },
        dedupeKey: `password-changed:${used.id}`,
      });
    }
    return { participantId };
  }
}
