import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, Repository } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { AppError } from '../common/errors/app-error';
import { EntityQueries } from '../database/entity-queries';
import type { Program } from '../programs/program.entity';
import { CreateEventDto } from './dto/event.dto';
import type { EventContext } from './dto/event-context.dto';
import { EventStatus, ProgramEvent } from './event.entity';
import { EventWriter, type EventWritten } from './event-writer';
import { MetricsService } from '../metrics/metrics.service';

export interface EventView {
  id: string;
  type: string;
  status: EventStatus;
  participantId: string;
  referrerId: string | null;
  data: Record<string, unknown>;
  occurredAt: string;
  idempotencyKey: string | null;
  context: EventContext | null;
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
    context: e.context ?? null,
    results: e.results ?? [],
    error: e.error,
    processedAt: e.processedAt?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

@Injectable()
export class EventsService {
  private readonly queries: EntityQueries<ProgramEvent>;

  constructor(
    @InjectRepository(ProgramEvent) private readonly events: Repository<ProgramEvent>,
    private readonly writer: EventWriter,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
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
    await this.events.update(
      { id: In(stale.map((e) => e.id)), status: 'queued' },
      { updatedAt: new Date() },
    );
    await this.writer.enqueue(stale.map((e) => e.id));
    return stale.length;
  }

  /**
   * Stores the event with its people and queues its evaluation. With an idempotency key the
   * database's unique index decides: whoever loses the race gets the first event back.
   */
  async ingest(program: Program, dto: CreateEventDto, headerKey?: string): Promise<EventWritten> {
    const key = this.idempotencyKey(dto.idempotencyKey, headerKey);
    if (dto.referrer && dto.referrer.id === dto.participant.id) {
      throw AppError.badRequest(
        'REFERRER_IS_PARTICIPANT',
        'The referrer and the participant are the same person; send a different referrer id, or leave the referrer out.',
      );
    }
    const written = await this.writer.write({ programId: program.id, dto, key });
    this.metrics.event(written.status === 'queued' ? 'queued' : 'no_rule');
    return written;
  }

  async get(programId: string, id: string): Promise<EventView> {
    const event = await this.queries.findOne({ programId, id });
    if (!event) throw AppError.notFound('Event', id);
    return toEventView(event);
  }

  private idempotencyKey(
    bodyKey: string | undefined,
    headerKey: string | undefined,
  ): string | null {
    const header = headerKey?.trim() || undefined;
    if (header !== undefined && (header.length > 255 || /[\r\n\0]/.test(header))) {
      throw AppError.badRequest(
        'IDEMPOTENCY_KEY_INVALID',
        'The Idempotency-Key header must be 1 to 255 characters.',
      );
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
