import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { DatabaseModule } from '../database/database.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { QueueModule } from '../queue/queue.module';
import { RewardsModule } from '../rewards/rewards.module';
import { RewardWebhooks } from './reward-webhooks';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvents } from './webhook-events';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks out: endpoints, their deliveries, and WebhookEvents, which every module that has
 * something to tell other systems calls in its own transaction. The controller is mounted by the
 * API module and the processor by the worker module.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery]),
    DatabaseModule,
    QueueModule,
    SecretsModule,
    NotificationsModule,
    RewardsModule,
  ],
  providers: [WebhookEvents, WebhooksService, WebhookDeliveries, RewardWebhooks],
  exports: [WebhookEvents, WebhooksService, WebhookDeliveries],
})
export class WebhooksModule {}
