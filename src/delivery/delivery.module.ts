import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IntegrationsModule } from '../integrations/integrations.module';
import { TemplatesModule } from '../templates/templates.module';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryService } from './delivery.service';
import { Message } from '../messages/message.entity';
import { Suppression } from '../suppressions/suppression.entity';

/** Renders, routes and sends outbox messages; the jobs that do it. */
@Module({
  imports: [TypeOrmModule.forFeature([Message, Suppression]), TemplatesModule, IntegrationsModule],
  providers: [DeliveryService, DeliveryProcessor],
})
export class DeliveryModule {}
