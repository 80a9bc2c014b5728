import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecretsModule } from '../common/crypto/secrets.module';
import { ConsentCoreModule } from '../consent/consent-core.module';
import { Message } from '../messages/message.entity';
import { MessagesModule } from '../messages/messages.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { TemplatesModule } from '../templates/templates.module';
import { TransportsModule } from '../transports/transports.module';
import { DeliveryService } from './delivery.service';

/** Renders, routes and sends outbox messages (the job handlers live in the worker module). */
@Module({
  imports: [
    TypeOrmModule.forFeature([Message]),
    MessagesModule,
    SuppressionsModule,
    TemplatesModule,
    TransportsModule,
    SecretsModule,
    ConsentCoreModule,
  ],
  providers: [DeliveryService],
  exports: [DeliveryService],
})
export class DeliveryModule {}
