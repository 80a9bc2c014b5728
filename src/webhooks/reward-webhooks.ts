import { Injectable, OnModuleInit } from '@nestjs/common';
import { RewardHooks } from '../rewards/reward-hooks';
import { WebhookEvents } from './webhook-events';
import { rewardStatusChanged } from './webhook-payloads';

/** Tells endpoints of every reward status change, in the transaction that made it. */
@Injectable()
export class RewardWebhooks implements OnModuleInit {
  constructor(
    private readonly hooks: RewardHooks,
    private readonly events: WebhookEvents,
  ) {}

  onModuleInit(): void {
    this.hooks.onRewardStatusChanged(
      async (
        manager,
        reward,
        previous,
        _program,
        change?: { reason: string | null; actor: string; at: Date },
      ) => {
        await this.events.emit(manager, rewardStatusChanged(reward, previous, change));
      },
    );
  }
}
