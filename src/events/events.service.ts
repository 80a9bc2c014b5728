import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, In, LessThan, Repository } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { AppError } from '../common/errors/app-error';
import { isUniqueViolation } from '../common/errors/database-errors';
import { EntityQueries } from '../database/entity-queries';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { JobQueue } from '../queue/job-queue.port';
import { CreateEventDto, EventPersonDto } from './dto/event.dto';
import { EventStatus, ProgramEvent } from './event.entity';

export interface EventView {
  id: string;
  type: string;
  status: EventStatus;
  participantId: string;
  referrerId: string | null;
  data: Record<string, unknown>;
  occurredAt: string;
  idempotencyKey: string | null;
  results: NonNullable<ProgramEvent['results']>;
  error: string | null;
  processedAt: string | null;
  createdAt: string;
}

export function toEventView(e: ProgramEvent): EventView {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    participantId: e.participantId,
    referrerId: e.referrerId,
    data: e.data,
    occurredAt: e.occurredAt.toISOString(),
    idempotencyKey: e.idempotencyKey,
    results: e.results ?? [],
    error: e.error,
    processedAt: e.processedAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

export const evaluateJobId = (eventId: string) => `evaluate:${eventId}`;

// A race on a new participant (two events creating it at once) costs one more attempt.
const MAX_INSERT_ATTEMPTS = 3;

@Injectable()
export class EventsService {
  private readonly queries: EntityQueries<ProgramEvent>;

  constructor(
    @InjectRepository(ProgramEvent) private readonly events: Repository<ProgramEvent>,
    private readonly dataSource: DataSource,
    private readonly participants: ParticipantsService,
    private readonly queue: JobQueue,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly config: AppConfig,
  ) {
    this.queries = new EntityQueries(events);
  }

  /**
   * Queues again the events still waiting for evaluation long after they were accepted or last
   * touched: their job was lost (a restart of the in-process queue, Redis flushed, a failed enqueue).
   */
  async sweepStale(limit = 500): Promise<number> {
    const before = new Date(Date.now() - this.config.MESSAGE_STALE_MS);
    const stale = await this.events.find({
      where: { status: 'queued', createdAt: LessThan(before), updatedAt: LessThan(before) },
      select: { id: true },
      order: { createdAt: 'ASC' },
      take: limit,
    });
    if (stale.length === 0) return 0;
    // Touch them first, so each is queued again once per period, not on every sweep.
    await this.events.update({ id: In(stale.map((e) => e.id)), status: 'queued' }, { updatedAt: new Date() });
    for (const e of stale) await this.enqueue(e.id);
    return stale.length;
  }

  /**
   * Stores the event with its people and queues its evaluation. With an idempotency key the
   * database's unique index decides: whoever loses the race gets the first event back.
   */
  async ingest(program: Program, dto: CreateEventDto, headerKey?: string): Promise<{ id: string; status: EventStatus }> {
    const key = this.idempotencyKey(dto.idempotencyKey, headerKey);
    if (dto.referrer && dto.referrer.id === dto.participant.id) {
      throw AppError.badRequest('REFERRER_IS_PARTICIPANT', 'The referrer and the participant are the same person; send a different referrer id, or leave the referrer out.');
    }
    // No look-up first: the insert meets the unique index, and a repeated key lands in the catch.
    for (let attempt = 1; ; attempt++) {
      try {
        const event = await this.insert(program.id, dto, key);
        await this.enqueue(event.id);
        return { id: event.id, status: event.status };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (key) {
          const first = await this.events.findOneBy({ programId: program.id, idempotencyKey: key });
          if (first) return this.replay(first);
        }
        if (attempt >= MAX_INSERT_ATTEMPTS) throw err;
      }
    }
  }

  async get(programId: string, id: string): Promise<EventView> {
    const event = await this.queries.findOne({ programId, id });
    if (!event) throw AppError.notFound('Event', id);
    return toEventView(event);
  }

  private async insert(programId: string, dto: CreateEventDto, key: string | null): Promise<ProgramEvent> {
    const now = new Date();
    const event = this.events.create({
      id: randomUUID(),
      programId,
      type: dto.type,
      participantId: dto.participant.id,
      referrerId: dto.referrer?.id ?? null,
      data: dto.data ?? {},
      occurredAt: dto.occurredAt ? new Date(dto.occurredAt) : now,
      idempotencyKey: key,
      raw: { ...dto, ...(key ? { idempotencyKey: key } : {}) },
      status: 'queued',
      results: null,
      error: null,
      processedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.dataSource.transaction(async (manager) => {
      // The event first: a repeated key stops here, before the people are touched.
      await this.queries.insert(event, { manager });
      await this.participants.upsert(programId, dto.participant.id, personFields(dto.participant), manager);
      if (dto.referrer) await this.participants.upsert(programId, dto.referrer.id, personFields(dto.referrer), manager);
    });
    return event;
  }

  // The same key again answers with the first event; its job is queued again only while it has
  // not run, in case the first enqueue was lost (the job id keeps it to one).
  private async replay(first: ProgramEvent): Promise<{ id: string; status: EventStatus }> {
    if (first.status === 'queued') await this.enqueue(first.id);
    return { id: first.id, status: first.status };
  }

  private async enqueue(eventId: string): Promise<void> {
    try {
      await this.queue.enqueue('evaluate-event', { eventId }, { jobId: evaluateJobId(eventId) });
    } catch (err) {
      // The event is stored and stays queued; answering 202 is right, and the event can be
      // queued again (the same idempotency key does it).
      this.logger.error({ err, eventId }, 'queueing the evaluation of an event failed');
    }
  }

  private idempotencyKey(bodyKey: string | undefined, headerKey: string | undefined): string | null {
    const header = headerKey?.trim() || undefined;
    if (header !== undefined && (header.length > 255 || /[\r\n\0]/.test(header))) {
      throw AppError.badRequest('IDEMPOTENCY_KEY_INVALID', 'The Idempotency-Key header must be 1 to 255 characters.');
    }
    if (header !== undefined && bodyKey !== undefined && header !== bodyKey) {
      throw AppError.badRequest(
        'IDEMPOTENCY_KEY_MISMATCH',
        'The Idempotency-Key header and the idempotencyKey in the body differ; send the key once, or the same key in both.',
      );
    }
    return header ?? bodyKey ?? null;
  }
}

function personFields(person: EventPersonDto) {
  const { id: _id, ...fields } = person;
  return fields;
}
