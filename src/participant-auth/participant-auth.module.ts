import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BackgroundTasks } from '../common/async/background-tasks';
import { NotificationsModule } from '../notifications/notifications.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ParticipantSessionsService } from './participant-sessions.service';
import { PasswordResetService } from './password-reset.service';
import { ParticipantToken } from './tokens/participant-token.entity';
import { ParticipantTokensService } from './tokens/participant-tokens.service';
import { TokenMailer } from './tokens/token-mailer.service';
import { VerificationService } from './verification.service';

/**
 * Participants proving who they are, for microsites and widgets: email verification, password
 * reset and sign-in, with one-time links.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ParticipantToken]), ParticipantsModule, NotificationsModule],
  providers: [
    BackgroundTasks,
    ParticipantTokensService,
    TokenMailer,
    VerificationService,
    PasswordResetService,
    ParticipantSessionsService,
  ],
  exports: [
    VerificationService,
    PasswordResetService,
    ParticipantSessionsService,
    ParticipantTokensService,
    BackgroundTasks,
  ],
})
export class ParticipantAuthModule {}
