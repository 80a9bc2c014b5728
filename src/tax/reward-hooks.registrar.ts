import { Injectable, OnModuleInit } from '@nestjs/common';
import { RewardHooks } from '../rewards/reward-hooks';
import { PayoutRemindersService } from '../payouts/payout-reminders.service';
import { W9Service } from './w9.service';

/** Puts the finance checks into the reward lifecycle, in the transaction of each reward write. */
@Injectable()
export class RewardHooksRegistrar implements OnModuleInit {
  constructor(
    private readonly hooks: RewardHooks,
    private readonly w9: W9Service,
    private readonly payoutReminders: PayoutRemindersService,
  ) {}

  onModuleInit(): void {
    this.hooks.onRewardWritten((manager, reward, program, participant) =>
      this.w9.onRewardWritten(manager, reward, program, participant),
    );
    this.hooks.onRewardWritten((manager, reward, program, participant) =>
      this.payoutReminders.onRewardWritten(manager, reward, program, participant),
    );
    this.hooks.onRewardStatusChanged((manager, reward, previous, program) =>
      this.w9.onRewardStatusChanged(manager, reward, previous, program),
    );
  }
}
