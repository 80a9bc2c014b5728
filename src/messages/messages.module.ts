import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '../queue/queue.module';
import { MessageEvent } from './message-event.entity';
import { MessageHistory } from './message-history';
import { Message } from './message.entity';
import { MessagesService } from './messages.service';
import { OutboxService } from './outbox.service';

/** The outbox (every email is a row first) and the message log. */
@Module({
  imports: [TypeOrmModule.forFeature([Message, MessageEvent]), QueueModule],
  providers: [OutboxService, MessagesService, MessageHistory],
  exports: [OutboxService, MessagesService, MessageHistory],
})
export class MessagesModule {}
