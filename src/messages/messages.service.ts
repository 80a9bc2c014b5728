import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import { EmlWriter } from '../transports/drivers/eml-writer';
import { ListMessagesQuery } from './dto/message.dto';
import { Message } from './message.entity';
import { noRawCopy } from './message-raw';
import { countMessages, filterMessages, kindOf, pageOfMessages } from './message-search';
import { MessageEvent } from './message-event.entity';
import { MessageHistory } from './message-history';
import { OutboxService } from './outbox.service';

function summary(m: Message) {
  return {
    id: m.id,
    template: m.templateKey,
    kind: kindOf(m),
    to: m.toEmail,
    subject: m.subject,
    status: m.status,
    transport: m.transport,
    attempts: m.attempts,
    ...(m.errorCode
      ? {
          error: {
            code: m.errorCode,
            message: m.errorMessage ?? '',
            permanent: !!m.errorPermanent,
          },
        }
      : {}),
    ...(m.messageId ? { messageId: m.messageId } : {}),
    ...(m.sentAt ? { sentAt: m.sentAt.toISOString() } : {}),
    // Queued and waiting for its account's sending limit, or for a pause a quota reply asked for.
    ...(m.status === 'queued' && m.notBefore ? { notBefore: m.notBefore.toISOString() } : {}),
    createdAt: m.createdAt.toISOString(),
  };
}

// `250 2.0.0 Ok: queued as X` → status 2.0.0.
const statusOf = (response: string) => {
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1];
  return status ? { status } : {};
};

/**
 * The message's history: each attempt the server took (sent) or put off (deferred), then what was
 * heard after the hand-over (bounced, complained, replied).
 */
function eventsOf(m: Message, heard: MessageEvent[]) {
  const attempts = m.attemptLog.flatMap((a) =>
    a.outcome === 'sent' && a.response !== undefined
      ? [{ type: 'sent', at: a.at, ...statusOf(a.response) }]
      : a.outcome === 'retry'
        ? [{ type: 'deferred', at: a.at, diagnostic: a.message }]
        : [],
  );
  const later = heard.map((e) => ({
    type: e.type,
    at: e.at.toISOString(),
    ...(e.status ? { status: e.status } : {}),
    ...(e.diagnostic ? { diagnostic: e.diagnostic } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.inboundId ? { inboundId: e.inboundId } : {}),
  }));
  return [...attempts, ...later].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function detail(m: Message, heard: MessageEvent[] = []) {
  return {
    ...summary(m),
    events: eventsOf(m, heard),
    locale: m.locale,
    participantId: m.participantId,
    senderId: m.senderId,
    serverResponse: m.serverResponse,
    rejected: m.rejected ?? [],
    attemptLog: m.attemptLog,
    // One-time links (verification, reset) stay out of the log.
    content: m.sensitive
      ? null
      : m.subject === null
        ? null
        : { subject: m.subject, html: m.html, text: m.text },
    contentWithheld: m.sensitive,
  };
}

/** The message log: what was sent, to whom, and why not when it was not. */
@Injectable()
export class MessagesService {
  // The .eml files the built-in sender wrote, read where it wrote them.
  private readonly eml: EmlWriter;
  private readonly keepSent: boolean;

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly outbox: OutboxService,
    private readonly history: MessageHistory,
    config: AppConfig,
  ) {
    this.eml = new EmlWriter(config.DATA_DIR);
    this.keepSent = config.KEEP_SENT_MESSAGES;
  }

  /** A page of the log, newest first, with the total of what matches (see message-search.ts). */
  async list(programId: string, q: ListMessagesQuery) {
    const postgres = this.messages.manager.connection.driver.options.type === 'postgres';
    const matching = () =>
      filterMessages(this.messages.createQueryBuilder('m'), programId, q, postgres);
    const [page, count] = await Promise.all([
      pageOfMessages(matching(), q.limit ?? 50, q.cursor),
      countMessages(matching()),
    ]);
    return { ...page, items: page.items.map(summary), ...count };
  }

  async get(programId: string, id: string) {
    const m = await this.find(programId, id);
    return detail(m, await this.history.list(m.id));
  }

  /** The raw .eml the built-in sender wrote for this message. */
  /**
   * The raw .eml of a sent message: the one the embedded sender wrote, or the copy kept of an
   * SMTP send (KEEP_SENT_MESSAGES). Without one, a 404 whose code says why.
   */
  async raw(programId: string, id: string): Promise<Buffer> {
    const m = await this.find(programId, id);
    const raw = m.sensitive ? null : await this.eml.read(programId, m.id).catch(() => null);
    if (!raw) throw noRawCopy(m, this.keepSent);
    return raw;
  }

  async retry(programId: string, id: string) {
    const m = await this.find(programId, id);
    const retried = await this.outbox.retry(programId, m.id);
    if (!retried) {
      throw AppError.conflict(
        'MESSAGE_NOT_RETRYABLE',
        `Message ${id} is ${m.status}; only failed or suppressed messages can be retried.`,
      );
    }
    return detail(retried);
  }

  private async find(programId: string, id: string): Promise<Message> {
    const m = await this.messages.findOneBy({ id, programId });
    if (!m) throw AppError.notFound('Message', id);
    return m;
  }
}
