import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app.config';
import { ParticipantsModule } from '../participants/participants.module';
import { RewardsModule } from '../rewards/rewards.module';
import { TemplatesModule } from '../templates/templates.module';
import { AfterCommit } from './after-commit';
import { BackgroundTasks } from './background-tasks';
import { PayoutReminder } from './payout-reminders/payout-reminder.entity';
import { PayoutRemindersProcessor } from './payout-reminders/payout-reminders.processor';
import { PayoutRemindersService } from './payout-reminders/payout-reminders.service';
import { PasswordResetService } from './password-reset/password-reset.service';
import { SessionsService } from './password-reset/sessions.service';
import { PublicController } from './public.controller';
import { publicRateLimitOptions } from './rate-limit/public-rate-limit';
import { RateLimitStorage, RateLimitStorageModule } from './rate-limit/rate-limit-storage.module';
import { RewardHooksRegistrar } from './reward-hooks.registrar';
import { ParticipantToken } from './tokens/participant-token.entity';
import { ParticipantTokensService } from './tokens/participant-tokens.service';
import { TokenMailer } from './tokens/token-mailer.service';
import { VerificationService } from './verification/verification.service';
import { ParticipantTaxYear } from './w9/participant-tax-year.entity';
import { TaxSummaryController } from './w9/tax-summary.controller';
import { W9Service } from './w9/w9.service';

/**
 * System triggers: email verification, password reset and sign-in for microsites (publishable
 * key, rate limited), the W-9 notice and payout reminders on reward writes.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ParticipantToken, ParticipantTaxYear, PayoutReminder]),
    ParticipantsModule,
    RewardsModule,
    TemplatesModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage) =>
        publicRateLimitOptions(config, storage.redis),
    }),
  ],
  controllers: [PublicController, TaxSummaryController],
  providers: [
    AfterCommit,
    BackgroundTasks,
    ParticipantTokensService,
    TokenMailer,
    VerificationService,
    PasswordResetService,
    SessionsService,
    W9Service,
    PayoutRemindersService,
    PayoutRemindersProcessor,
    RewardHooksRegistrar,
  ],
  exports: [W9Service, PayoutRemindersService],
})
export class TriggersModule {}
