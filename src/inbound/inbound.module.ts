import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsentModule } from '../consent/consent.module';
import { EventsModule } from '../events/events.module';
import { MessagesModule } from '../messages/messages.module';
import { ParticipantsModule } from '../participants/participants.module';
import { ProgramsModule } from '../programs/programs.module';
import { QueueModule } from '../queue/queue.module';
import { SenderDomainsModule } from '../sender-domains/sender-domains.module';
import { SuppressionsModule } from '../suppressions/suppressions.module';
import { InboundMessage } from './inbound-message.entity';
import { InboundAddresses } from './inbound-addresses.service';
import { InboundService } from './inbound.service';
import { WebhooksModule } from '../webhooks/webhooks.module';

/** What comes back after sending: bounces, complaints and replies, stored then read. */
@Module({
  imports: [
    TypeOrmModule.forFeature([InboundMessage]),
    QueueModule,
    MessagesModule,
    SuppressionsModule,
    ParticipantsModule,
    ProgramsModule,
    EventsModule,
    SenderDomainsModule,
    ConsentModule,
    WebhooksModule,
  ],
  providers: [InboundService, InboundAddresses],
  // Consent too: the listener checks the unsubscribe addresses it is asked to take.
  exports: [InboundService, InboundAddresses, ConsentModule],
})
export class InboundModule {}
