import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Message } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { OutboxService } from './outbox.service';

/** The outbox and the message log. Any module may queue email through OutboxService. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Message])],
  controllers: [MessagesController],
  providers: [OutboxService, MessagesService],
  exports: [OutboxService],
})
export class OutboxModule {}
