import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Brackets, DataSource, EntityManager, In, LessThan, Repository } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { ConsentService } from '../consent/consent.service';
import { EntityQueries } from '../database/entity-queries';
import { EventsService } from '../events/events.service';
import { MessageHistory } from '../messages/message-history';
import type { Message } from '../messages/message.entity';
import type { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import { Program } from '../programs/program.entity';
import { jobOf } from '../queue/job-options';
import { JobQueue } from '../queue/job-queue.port';
import { SuppressionsService } from '../suppressions/suppressions.service';
import { decodeInboundAddress } from './inbound-addresses';
import { InboundMessage, type InboundSource } from './inbound-message.entity';
import { readInbound, type InboundReading } from './reports/read-inbound';
import { WebhookEvents } from '../webhooks/webhook-events';
import { emailReceived, messageReport } from '../webhooks/webhook-payloads';

/** What is known of an email when it arrives, before it is read. */
export interface Arrival {
  source: InboundSource;
  envelopeFrom: string | null;
  envelopeTo: string;
  programId?: string | null;
  mailboxId?: string | null;
  mailboxUid?: string | null;
}

function inboundSummary(row: InboundMessage) {
  return {
    id: row.id,
    direction: 'inbound' as const,
    kind: row.kind,
    status: row.status,
    from: row.fromAddress,
    subject: row.subject,
    participantId: row.participantId,
    inReplyTo: row.messageId,
    matched: row.messageId !== null,
    receivedAt: row.receivedAt.toISOString(),
  };
}

export type InboundOutcome =
  | { outcome: 'processed'; kind: InboundReading['kind']; matched: boolean }
  | { outcome: 'skipped'; reason: string };

const MAX_ERROR_LENGTH = 2000;
// Replies feed rules with this much of their text.
const MAX_REPLY_TEXT = 4000;

/**
 * Everything that comes back: stored first (so an answer of 250, or a flag in a mailbox, never
 * loses it), then read by a job into message events, suppressions, participants and the
 * `email.received` event.
 */
@Injectable()
export class InboundService {
  private readonly queries: EntityQueries<InboundMessage>;
  private readonly process$ = (ids: string[]) =>
    this.queue.enqueueMany(
      'process-inbound',
      ids.map((id) => jobOf('process-inbound', { inboundId: id })),
    );

  constructor(
    @InjectRepository(InboundMessage) private readonly inbound: Repository<InboundMessage>,
    private readonly dataSource: DataSource,
    private readonly history: MessageHistory,
    private readonly suppressions: SuppressionsService,
    private readonly participants: ParticipantsService,
    private readonly events: EventsService,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly consent: ConsentService,
    private readonly webhooks: WebhookEvents,
  ) {
    this.queries = new EntityQueries(inbound);
  }

  /** Stores an email that arrived and queues its reading. Resolves once it is stored. */
  async accept(raw: Buffer, arrival: Arrival): Promise<InboundMessage> {
    const now = new Date();
    const row: InboundMessage = {
      id: randomUUID(),
      programId: arrival.programId ?? null,
      source: arrival.source,
      mailboxId: arrival.mailboxId ?? null,
      mailboxUid: arrival.mailboxUid ?? null,
      envelopeFrom: arrival.envelopeFrom?.slice(0, 320) ?? null,
      envelopeTo: arrival.envelopeTo.slice(0, 320),
      raw: raw.toString('base64'),
      size: raw.length,
      status: 'received',
      kind: null,
      messageId: null,
      participantId: null,
      fromAddress: null,
      subject: null,
      inReplyTo: null,
      summary: null,
      error: null,
      attempts: 0,
      // The job about to be queued has it until then; the sweeper after.
      lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
      receivedAt: now,
      processedAt: null,
    };
    await this.queries.insert(row);
    // Queued after the row is safe; a lost job is found again by the sweeper.
    await this.process$([row.id]).catch((err: unknown) =>
      this.logger.warn(
        { err, inboundId: row.id },
        'queueing an inbound email failed; the sweeper will read it',
      ),
    );
    return row;
  }

  /** Reads one stored email and records what it says; a second run of it changes nothing. */
  async process(id: string): Promise<InboundOutcome> {
    const row = await this.claim(id);
    if (!row) return { outcome: 'skipped', reason: 'not waiting, or read by another worker' };
    try {
      const reading = await readInbound(Buffer.from(row.raw, 'base64'));
      const after: Array<() => Promise<unknown>> = [];
      const matched = await this.dataSource.transaction((manager) =>
        this.apply(manager, row, reading, after),
      );
      // What needs the committed rows (the event's participant) runs after the commit.
      for (const work of after) await work();
      return { outcome: 'processed', kind: reading.kind, matched };
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
      const final = row.attempts >= this.config.JOB_ATTEMPTS;
      await this.inbound.update(
        { id: row.id },
        { ...(final ? { status: 'failed' as const } : {}), error: message, lockedUntil: null },
      );
      this.logger.warn({ err, inboundId: row.id, final }, 'reading an inbound email failed');
      if (!final) throw err;
      return { outcome: 'skipped', reason: message };
    }
  }

  /** What came back to the program, newest first (GET /v1/messages?direction=inbound). */
  async list(programId: string, q: { limit?: number; cursor?: string }) {
    const limit = q.limit ?? 50;
    const qb = this.inbound
      .createQueryBuilder('i')
      .where('i.programId = :programId', { programId });
    if (q.cursor) {
      const [at, id] = Buffer.from(q.cursor, 'base64url').toString().split('|');
      if (!id || Number.isNaN(new Date(at).getTime())) {
        throw AppError.badRequest(
          'CURSOR_INVALID',
          'The cursor is not valid; use the nextCursor of the previous page.',
        );
      }
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('i.receivedAt < :at', { at: new Date(at) })
            .orWhere('i.receivedAt = :at AND i.id < :id', { at: new Date(at), id }),
        ),
      );
    }
    const rows = await qb
      .orderBy('i.receivedAt', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(inboundSummary),
      nextCursor:
        rows.length > limit
          ? Buffer.from(`${last.receivedAt.toISOString()}|${last.id}`).toString('base64url')
          : null,
    };
  }

  /** One inbound message of the program, with what was read from it; null when there is none. */
  async find(programId: string, id: string) {
    const row = await this.queries.findOne({ programId, id });
    if (!row) return null;
    return {
      ...inboundSummary(row),
      envelopeFrom: row.envelopeFrom,
      to: row.envelopeTo,
      summary: row.summary,
      error: row.error,
      size: row.size,
      processedAt: row.processedAt?.toISOString() ?? null,
    };
  }

  /** Queues again what a lost job left unread. */
  async sweep(limit = 200): Promise<number> {
    const stale = await this.inbound.find({
      where: { status: 'received', lockedUntil: LessThan(new Date()) },
      select: { id: true },
      order: { receivedAt: 'ASC' },
      take: limit,
    });
    if (stale.length === 0) return 0;
    const ids = stale.map((r) => r.id);
    await this.inbound.update(
      { id: In(ids), status: 'received' },
      { lockedUntil: new Date(Date.now() + this.config.MESSAGE_STALE_MS) },
    );
    await this.process$(ids);
    return ids.length;
  }

  private async claim(id: string): Promise<InboundMessage | null> {
    const now = new Date();
    const claimed = await this.inbound
      .createQueryBuilder()
      .update()
      .set({
        lockedUntil: new Date(now.getTime() + this.config.MESSAGE_CLAIM_MS),
        attempts: () => '"attempts" + 1',
      })
      .where('id = :id AND status = :status', { id, status: 'received' })
      .execute();
    if (!claimed.affected) return null;
    return this.inbound.findOneBy({ id });
  }

  /** Records the reading; true when it was matched to something of ours. */
  private async apply(
    manager: EntityManager,
    row: InboundMessage,
    r: InboundReading,
    after: Array<() => Promise<unknown>>,
  ): Promise<boolean> {
    const address = decodeInboundAddress(row.envelopeTo, this.config.INBOUND_DOMAIN);
    const byTag =
      address?.kind === 'return-path'
        ? await this.history.findByReturnPath(address.tag, manager)
        : null;
    let programId = row.programId ?? byTag?.programId ?? null;
    const fields: Partial<InboundMessage> = {
      kind: r.kind,
      fromAddress: r.from?.address?.slice(0, 320) ?? null,
      subject: r.subject,
      inReplyTo: r.inReplyTo?.slice(0, 998) ?? null,
    };
    let message: Message | null = null;
    if (address?.kind === 'unsubscribe') {
      // An email to a List-Unsubscribe mailto: address: its sender leaves the message's
      // category, whatever the email says; it is no reply and feeds no rule but that event.
      message = await this.consent.messageOfMailto(address.localPart, manager);
      programId ??= message?.programId ?? null;
      const announce = message && (await this.consent.leaveByMessage(manager, message, 'mailto'));
      if (announce) after.push(announce);
      fields.summary = { unsubscribed: message?.category ?? null };
    } else if (r.kind === 'dsn' || r.kind === 'arf') {
      message =
        byTag ??
        (await this.history.findReported(
          programId,
          {
            entityRefId: r.original.entityRefId,
            messageId: r.original.messageId,
            recipient:
              r.recipients[0]?.address ?? r.feedback?.originalRcptTo[0] ?? r.original.to[0] ?? null,
          },
          manager,
        ));
      programId ??= message?.programId ?? null;
      if (message) await this.hear(manager, message, row, r, after);
      fields.summary =
        r.kind === 'dsn'
          ? {
              recipients: r.recipients.map(({ address: a, status, class: c, diagnostic }) => ({
                address: a,
                status,
                class: c,
                diagnostic,
              })),
            }
          : { feedbackType: r.feedback?.type ?? null };
    } else {
      const answered = programId
        ? await this.history.findByMessageIdHeader(
            programId,
            [r.inReplyTo, ...r.references].filter((h): h is string => !!h),
            manager,
          )
        : null;
      message = byTag ?? answered;
      programId ??= message?.programId ?? null;
      if (r.kind === 'auto-reply') {
        fields.summary = { autoReply: r.autoReplyReason };
      } else if (programId && r.from) {
        const program = await manager.getRepository(Program).findOneBy({ id: programId });
        if (program) {
          const participant = await this.sender(manager, program, r.from);
          fields.participantId = participant.id;
          if (message) {
            await this.history.record(manager, message, {
              type: 'replied',
              inboundId: row.id,
              reportId: `reply:${row.id}`,
              at: new Date(),
            });
          }
          fields.summary = { answers: message?.templateKey ?? null };
          await this.webhooks.emit(
            manager,
            emailReceived(programId, {
              inboundMessageId: row.id,
              participantId: participant.id,
              from: r.from.address,
              subject: r.subject ?? null,
              inReplyTo: message?.id ?? null,
              answers: message?.templateKey ?? null,
            }),
          );
          // An event of its own, once per inbound email, after the participant is committed.
          const answered = message;
          after.push(() => this.receivedEvent(program, participant, row, r, answered));
        }
      }
    }
    // simple-json columns are plain values to TypeORM's partial type: it cannot see that.
    const done = {
      ...fields,
      programId,
      messageId: message?.id ?? null,
      status: 'processed' as const,
      error: null,
      lockedUntil: null,
      processedAt: new Date(),
    } as QueryDeepPartialEntity<InboundMessage>;
    await manager.update(InboundMessage, { id: row.id }, done);
    return message !== null;
  }

  /** A bounce or complaint recorded on its message, and the address suppressed when it says so. */
  private async hear(
    manager: EntityManager,
    message: Message,
    row: InboundMessage,
    r: InboundReading,
    after: Array<() => Promise<unknown>>,
  ): Promise<void> {
    if (r.kind === 'arf') {
      await this.history.record(manager, message, {
        type: 'complained',
        detail: r.feedback?.type ?? null,
        inboundId: row.id,
        reportId: r.reportId,
        at: new Date(),
      });
      await this.webhooks.emit(
        manager,
        messageReport('message.complained', message, row.id, {
          complaint: { feedbackType: r.feedback?.type ?? null },
        }),
      );
      // A complaint stops what the person can leave; their password reset still reaches them.
      await this.suppressions.add(
        message.programId,
        message.toEmail,
        'complaint',
        `Marked as spam (${r.feedback?.type ?? 'abuse'}).`,
        {
          messageId: message.id,
          scope: 'non-transactional',
          manager,
        },
      );
      // And the person has left that category, as their preferences show.
      const announce = await this.consent.leaveByMessage(manager, message, 'complaint');
      if (announce) after.push(announce);
      return;
    }
    const mine = r.recipients.filter(
      (x) => x.address.toLowerCase() === message.toEmail.toLowerCase(),
    );
    for (const rcpt of mine.length ? mine : r.recipients.slice(0, 1)) {
      // A success notice (delivered, relayed, expanded) changes nothing; the report stays visible.
      if (rcpt.action !== 'failed' && rcpt.action !== 'delayed') continue;
      await this.history.record(manager, message, {
        type: rcpt.action === 'failed' ? 'bounced' : 'deferred',
        status: rcpt.status,
        diagnostic: rcpt.diagnostic,
        detail: rcpt.class,
        inboundId: row.id,
        reportId: r.reportId,
        at: new Date(),
      });
      if (rcpt.action === 'failed')
        await this.webhooks.emit(
          manager,
          messageReport('message.bounced', message, row.id, {
            bounce: {
              recipient: rcpt.address,
              status: rcpt.status,
              class: rcpt.class,
              diagnostic: rcpt.diagnostic ?? null,
            },
          }),
        );
      // Only an address that does not exist is suppressed: a full mailbox, a spam block or a
      // refused sender say nothing about the address.
      if (rcpt.class === 'hard') {
        await this.suppressions.add(
          message.programId,
          message.toEmail,
          'hard_bounce',
          `${rcpt.status} ${rcpt.diagnostic ?? ''}`.trim(),
          {
            messageId: message.id,
            scope: 'all',
            manager,
          },
        );
      }
    }
  }

  /** The participant who wrote: found by address, or created with a generated id. */
  private async sender(
    manager: EntityManager,
    program: Program,
    from: { address: string; name: string | null },
  ): Promise<Participant> {
    const known = await this.participants.findByEmail(program.id, from.address, manager);
    if (known) return known;
    const [firstName, ...rest] = (from.name ?? '').trim().split(/\s+/).filter(Boolean);
    const { participant } = await this.participants.upsert(
      program.id,
      `inbound-${randomUUID()}`,
      {
        email: from.address,
        ...(firstName ? { firstName: firstName.slice(0, 200) } : {}),
        ...(rest.length ? { lastName: rest.join(' ').slice(0, 200) } : {}),
        source: 'inbound',
      },
      manager,
    );
    return participant;
  }

  private async receivedEvent(
    program: Program,
    participant: Participant,
    row: InboundMessage,
    r: InboundReading,
    answered: Message | null,
  ): Promise<void> {
    await this.events.ingest(program, {
      type: 'email.received',
      participant: { id: participant.id, email: participant.email },
      data: {
        subject: r.subject ?? '',
        from: r.from?.address ?? '',
        text: (r.text ?? '').slice(0, MAX_REPLY_TEXT),
        inboundMessageId: row.id,
        inReplyTo: answered?.id ?? null,
        answers: answered?.templateKey ?? null,
      },
      idempotencyKey: `email.received:${row.id}`,
    });
  }
}
