import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { ConsentCoreModule } from '../consent/consent-core.module';
import { Message } from '../messages/message.entity';
import { MessagesModule } from '../messages/messages.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { TemplatesModule } from '../templates/templates.module';
import { TransportsModule } from '../transports/transports.module';
import { SendLimitsModule } from '../send-limits/send-limits.module';
import { DeliveryService } from './delivery.service';
import { OutcomeWriter } from './outcome-writer';
import { MetricsModule } from '../metrics/metrics.module';
import { WebhooksModule } from '../webhooks/webhooks.module';

/** Renders, routes and sends outbox messages (the job handlers live in the worker module). */
@Module({
  imports: [
    TypeOrmModule.forFeature([Message]),
    MessagesModule,
    SuppressionsModule,
    TemplatesModule,
    TransportsModule,
    SecretsModule,
    SendLimitsModule,
    ConsentCoreModule,
    MetricsModule,
    WebhooksModule,
  ],
  providers: [DeliveryService, OutcomeWriter],
  exports: [DeliveryService],
})
export class DeliveryModule {}
