import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, MoreThan, Repository } from 'typeorm';
import { EntityQueries } from '../database/entity-queries';
import { MessageEvent, type MessageEventType } from './message-event.entity';
import { Message } from './message.entity';

/** What identifies the message a report is about, as far as the report says. */
export interface ReportedOriginal {
  /** X-Entity-Ref-ID: our own id, which every message carries. */
  entityRefId?: string | null;
  /** The original Message-ID header. */
  messageId?: string | null;
  /** For a bounce without the original's headers: the recipient, within recent days. */
  recipient?: string | null;
}

export interface HeardEvent {
  type: MessageEventType;
  status?: string | null;
  diagnostic?: string | null;
  detail?: string | null;
  inboundId?: string | null;
  reportId: string;
  at: Date;
}

// A bounce that names only the recipient is matched to a message sent to it this recently.
const RECIPIENT_WINDOW_MS = 14 * 24 * 3600_000;

/**
 * What happened to an outbound message after it was handed over: finding the message a report
 * is about, and recording bounces, delays, complaints and replies on it, once per report.
 */
@Injectable()
export class MessageHistory {
  private readonly queries: EntityQueries<Message>;

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectRepository(MessageEvent) private readonly events: Repository<MessageEvent>,
  ) {
    this.queries = new EntityQueries(messages);
  }

  // Lookups take the caller's manager: inside a transaction, a second connection from the pool
  // may never come (every connection held by a transaction waiting for one).
  findByReturnPath(tag: string, manager?: EntityManager): Promise<Message | null> {
    return this.queries.findOne({ returnPathTag: tag }, manager);
  }

  /** The message a report names: by our id, then its Message-ID, then its recipient lately. */
  async findReported(
    programId: string | null,
    o: ReportedOriginal,
    manager?: EntityManager,
  ): Promise<Message | null> {
    const messages = manager?.getRepository(Message) ?? this.messages;
    const scope = programId ? { programId } : {};
    const ref = o.entityRefId?.trim();
    if (ref && /^[0-9a-f-]{36}$/i.test(ref)) {
      const byRef = await messages.findOneBy({ ...scope, id: ref.toLowerCase() });
      if (byRef) return byRef;
    }
    const header = o.messageId?.trim();
    if (header) {
      const wrapped = header.startsWith('<') ? header : `<${header}>`;
      const byHeader = await messages.findOneBy({ ...scope, messageId: wrapped });
      if (byHeader) return byHeader;
    }
    if (o.recipient && programId) {
      return messages.findOne({
        where: {
          programId,
          toEmail: o.recipient,
          sentAt: MoreThan(new Date(Date.now() - RECIPIENT_WINDOW_MS)),
        },
        order: { sentAt: 'DESC' },
      });
    }
    return null;
  }

  /** The outbound message with this Message-ID in the program (what a reply's In-Reply-To names). */
  findByMessageIdHeader(
    programId: string,
    headers: string[],
    manager?: EntityManager,
  ): Promise<Message | null> {
    const messages = manager?.getRepository(Message) ?? this.messages;
    const ids = headers.map((h) => (h.startsWith('<') ? h : `<${h}>`)).slice(0, 50);
    if (ids.length === 0) return Promise.resolve(null);
    return messages.findOne({
      where: { programId, messageId: In(ids) },
      order: { createdAt: 'DESC' },
    });
  }

  /**
   * Records what was heard, once per report (a second copy adds nothing); a bounce or complaint
   * also moves a sent message to `bounced` or `complained`.
   */
  async record(manager: EntityManager, message: Message, event: HeardEvent): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(MessageEvent)
      .values({
        id: randomUUID(),
        programId: message.programId,
        messageId: message.id,
        type: event.type,
        status: event.status ?? null,
        diagnostic: event.diagnostic?.slice(0, 2000) ?? null,
        detail: event.detail ?? null,
        inboundId: event.inboundId ?? null,
        reportId: event.reportId.slice(0, 64),
        at: event.at,
      })
      .orIgnore()
      .execute();
    const status =
      event.type === 'bounced' ? 'bounced' : event.type === 'complained' ? 'complained' : null;
    // A complaint says more than a bounce; a reply or a delay changes no status.
    if (status) {
      await manager.update(
        Message,
        { id: message.id, status: In(status === 'complained' ? ['sent', 'bounced'] : ['sent']) },
        { status, updatedAt: new Date() },
      );
    }
  }

  /** Every event heard about a message, oldest first. */
  list(messageId: string): Promise<MessageEvent[]> {
    return this.events.find({ where: { messageId }, order: { at: 'ASC' } });
  }
}
