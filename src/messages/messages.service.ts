import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import { EmlWriter } from '../transports/drivers/eml-writer';
import { ListMessagesQuery } from './dto/message.dto';
import { Message } from './message.entity';
import { OutboxService } from './outbox.service';

function summary(m: Message) {
  return {
    id: m.id,
    template: m.templateKey,
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
    createdAt: m.createdAt.toISOString(),
  };
}

function detail(m: Message) {
  return {
    ...summary(m),
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

const encodeCursor = (m: Message) =>
  Buffer.from(`${m.createdAt.toISOString()}|${m.id}`).toString('base64url');

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(at);
  if (!id || Number.isNaN(date.getTime()))
    throw AppError.badRequest(
      'CURSOR_INVALID',
      'The cursor is not valid; use the nextCursor of the previous page.',
    );
  return { at: date, id };
}

/** The message log: what was sent, to whom, and why not when it was not. */
@Injectable()
export class MessagesService {
  // The .eml files the built-in sender wrote, read where it wrote them.
  private readonly eml: EmlWriter;

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly outbox: OutboxService,
    config: AppConfig,
  ) {
    this.eml = new EmlWriter(config.DATA_DIR);
  }

  async list(programId: string, q: ListMessagesQuery) {
    const limit = q.limit ?? 50;
    const qb = this.messages
      .createQueryBuilder('m')
      .where('m.programId = :programId', { programId });
    if (q.status) qb.andWhere('m.status = :status', { status: q.status });
    if (q.template) qb.andWhere('m.templateKey = :template', { template: q.template });
    if (q.to) qb.andWhere('LOWER(m.toEmail) = :to', { to: q.to.toLowerCase() });
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('m.createdAt < :at', { at: c.at })
            .orWhere('m.createdAt = :at AND m.id < :id', { at: c.at, id: c.id }),
        ),
      );
    }
    const rows = await qb
      .orderBy('m.createdAt', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    return {
      items: page.map(summary),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async get(programId: string, id: string) {
    return detail(await this.find(programId, id));
  }

  /** The raw .eml the built-in sender wrote for this message. */
  async raw(programId: string, id: string): Promise<Buffer> {
    const m = await this.find(programId, id);
    const raw = m.sensitive ? null : await this.eml.read(programId, m.id).catch(() => null);
    if (!raw) throw AppError.notFound('A stored copy of message', id);
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
