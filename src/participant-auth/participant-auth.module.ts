import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app.config';
import { ParticipantsModule } from '../participants/participants.module';
import { RewardsModule } from '../rewards/rewards.module';
import { TemplatesModule } from '../templates/templates.module';
import { AfterCommit } from '../database/after-commit';
import { BackgroundTasks } from '../common/async/background-tasks';
import { PayoutReminder } from '../payouts/payout-reminder.entity';
import { PayoutRemindersProcessor } from '../payouts/payout-reminders.processor';
import { PayoutRemindersService } from '../payouts/payout-reminders.service';
import { PasswordResetService } from './password-reset.service';
import { SessionsService } from './participant-sessions.service';
import { PublicController } from './public.controller';
import { publicRateLimitOptions } from './rate-limit/public-rate-limit';
import { RateLimitStorage, RateLimitStorageModule } from './rate-limit/rate-limit-storage.module';
import { RewardHooksRegistrar } from '../tax/reward-hooks.registrar';
import { ParticipantToken } from './tokens/participant-token.entity';
import { ParticipantTokensService } from './tokens/participant-tokens.service';
import { TokenMailer } from './tokens/token-mailer.service';
import { VerificationService } from './verification.service';
import { ParticipantTaxYear } from '../tax/participant-tax-year.entity';
import { TaxSummaryController } from '../tax/tax-summary.controller';
import { W9Service } from '../tax/w9.service';

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
