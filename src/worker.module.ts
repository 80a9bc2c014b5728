import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { DeliveryModule } from './delivery/delivery.module';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { EvaluateEventProcessor } from './events/evaluate-event.processor';
import { EventsModule } from './events/events.module';
import { MessagesModule } from './messages/messages.module';
import { PayoutRemindersProcessor } from './payouts/payout-reminders.processor';
import { PayoutsModule } from './payouts/payouts.module';
import { RewardLifecycleModule } from './rewards/lifecycle/reward-lifecycle.module';
import { RewardSweeperProcessor } from './rewards/lifecycle/reward-sweeper.processor';
import { InboundModule } from './inbound/inbound.module';
import { InboundProcessor } from './inbound/inbound.processor';
import { InboundSmtpListener } from './inbound/inbound-smtp.listener';
import { InboundMailboxModule } from './inbound/mailbox/inbound-mailbox.module';
import { MailboxReader } from './inbound/mailbox/mailbox-reader';
import { ProgramsModule } from './programs/programs.module';
import { SenderDomainsModule } from './sender-domains/sender-domains.module';
import { JobQueue } from './queue/job-queue.port';
import { JOB_NAMES } from './queue/queue.constants';
import { QueueModule } from './queue/queue.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WebhooksProcessor } from './webhooks/webhooks.processor';
import { CodePoolsModule } from './code-pools/code-pools.module';
import { CodePoolsProcessor } from './code-pools/code-pools.processor';

/**
 * What a worker process runs: the job handlers, the periodic sweeps, the inbound SMTP listener
 * and the reader of programs' own mailboxes, and no HTTP route but health and metrics.
 */
@Module({
  imports: [
    QueueModule,
    EventsModule,
    MessagesModule,
    DeliveryModule,
    PayoutsModule,
    RewardLifecycleModule,
    InboundModule,
    InboundMailboxModule,
    ProgramsModule,
    SenderDomainsModule,
    WebhooksModule,
    CodePoolsModule,
  ],
  providers: [
    EvaluateEventProcessor,
    DeliveryProcessor,
    PayoutRemindersProcessor,
    RewardSweeperProcessor,
    InboundProcessor,
    InboundSmtpListener,
    MailboxReader,
    WebhooksProcessor,
    CodePoolsProcessor,
  ],
})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(private readonly queue: JobQueue) {}

  // Every job must have exactly one handler here; a missing one is a wiring mistake that would
  // otherwise only show as jobs that never finish.
  onApplicationBootstrap(): void {
    const missing = JOB_NAMES.filter((n) => !this.queue.registeredNames().includes(n));
    if (missing.length > 0) {
      throw new Error(`No handler is registered for job(s): ${missing.join(', ')}`);
    }
  }
}
