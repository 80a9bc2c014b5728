import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
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
  ],
  providers: [InboundService, InboundAddresses],
  exports: [InboundService, InboundAddresses],
})
export class InboundModule {}
