import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { isUniqueViolation } from '../common/errors/database-errors';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { EntityQueries } from '../database/entity-queries';
import type { Participant } from '../participants/participant.entity';
import { ParticipantsService, type ParticipantFields } from '../participants/participants.service';
import { jobOf } from '../queue/job-options';
import { JobQueue } from '../queue/job-queue.port';
import { RuleEngine } from '../rules/rule-engine.service';
import type { CreateEventDto, EventPersonDto } from './dto/event.dto';
import { contextOf } from './dto/event-context.dto';
import { assertSameRequest } from './event-idempotency';
import { EventStatus, ProgramEvent } from './event.entity';

export interface EventToWrite {
  programId: string;
  dto: CreateEventDto;
  /** The idempotency key, unique per program. */
  key: string | null;
}

export interface EventWritten {
  id: string;
  status: EventStatus;
}

interface Pending extends EventToWrite {
  resolve(written: EventWritten): void;
  reject(err: unknown): void;
}

/** The (program, event type) pairs that at least one enabled rule listens to. */
type Listened = Set<string>;

/** What one participant of a batch needs written once the batch's events are in. */
interface PersonWrite {
  insert?: Participant;
  changes?: Partial<Participant>;
}

// Rows per statement stay far below the databases' parameter limits (15 columns an event).
const MAX_BATCH = 100;
// A race on a new participant (two events creating it at once) costs one more attempt.
const MAX_INSERT_ATTEMPTS = 3;

/** A map key for what is unique within its program: a person, an idempotency key, an event type. */
export const inProgram = (programId: string, id: string) => `${programId}\n${id}`;

/** A key of the batch was stored before it: the batch is rolled back and written one at a time. */
class KeyAlreadyStored extends Error {}

/**
 * Stores accepted events and queues their evaluation, as a group commit: the events that arrive
 * in the same turn of the event loop, or while a write is in flight, go together, in one transaction with one
 * statement for the events, one read of their people and one call to the queue. An event that
 * arrives alone is written on its own, exactly as before. Anything out of the ordinary in a batch (a
 * key already stored, a person that cannot be upserted, a person created by another process at
 * the same moment) sends the events concerned through the one-at-a-time path, which decides it
 * as it always has: the database's unique index says who was first.
 */
@Injectable()
export class EventWriter {
  private readonly queries: EntityQueries<ProgramEvent>;
  private waiting: Pending[] = [];
  private writing = false;

  constructor(
    @InjectRepository(ProgramEvent) events: Repository<ProgramEvent>,
    private readonly dataSource: DataSource,
    private readonly participants: ParticipantsService,
    private readonly queue: JobQueue,
    private readonly engine: RuleEngine,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.queries = new EntityQueries(events);
  }

  write(event: EventToWrite): Promise<EventWritten> {
    return new Promise<EventWritten>((resolve, reject) => {
      this.waiting.push({ ...event, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      // After the other requests read in this turn of the event loop have queued theirs: with
      // SQLite every query completes without yielding to I/O, so no batch would form otherwise.
      setImmediate(() => void this.drain());
    });
  }

  /**
   * Queues the evaluation of stored events: one job for one event, one job for several (each
   * Redis job costs several round trips, and these arrived together). A failure is logged, and
   * the event sweeper queues them later.
   */
  async enqueue(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    try {
      if (eventIds.length === 1)
        await this.queue.enqueueMany('evaluate-event', [
          jobOf('evaluate-event', { eventId: eventIds[0] }),
        ]);
      else {
        const jobs: Array<{ payload: { eventIds: string[] } }> = [];
        for (let i = 0; i < eventIds.length; i += MAX_BATCH)
          jobs.push({ payload: { eventIds: eventIds.slice(i, i + MAX_BATCH) } });
        await this.queue.enqueueMany('evaluate-events', jobs);
      }
    } catch (err) {
      // The events are stored and stay queued; answering 202 is right, and the sweeper (or the
      // same idempotency key) queues them again.
      this.logger.error({ err, eventIds }, 'queueing the evaluation of events failed');
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        if (batch.length === 1) await this.settle(batch[0], () => this.writeOne(batch[0]));
        else await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async settle(item: Pending, work: () => Promise<EventWritten>): Promise<void> {
    try {
      item.resolve(await work());
    } catch (err) {
      item.reject(err);
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const alone: Pending[] = [];
    let written: Array<{ item: Pending; event: ProgramEvent }> = [];
    try {
      written = await this.insertTogether(batch, alone);
    } catch (err) {
      // Nothing of the batch was stored: every event of it goes the careful way.
      // A key stored earlier, or a person created elsewhere meanwhile, is expected under load.
      if (!(err instanceof KeyAlreadyStored) && !isUniqueViolation(err)) {
        this.logger.warn(
          { err, events: batch.length },
          'writing a batch of events failed; writing them one at a time',
        );
      }
      alone.splice(0, alone.length, ...batch);
    }
    if (written.length > 0) {
      // Not awaited: the next batch is written while this one's jobs are queued; each request is
      // answered once its event is stored and its job queued.
      void this.enqueue(queuedIds(written.map((w) => w.event))).then(() => {
        for (const { item, event } of written) item.resolve({ id: event.id, status: event.status });
      });
    }
    // In arrival order, so that of two events with one key the first is stored and the second replays it.
    alone.sort((a, b) => batch.indexOf(a) - batch.indexOf(b));
    for (const item of alone) await this.settle(item, () => this.writeOne(item));
  }

  /**
   * Writes the events of `batch` that need no special care, with their people; the others are
   * put in `alone`. Throws, having stored nothing, when the database disagrees with the plan.
   */
  private async insertTogether(
    batch: Pending[],
    alone: Pending[],
  ): Promise<Array<{ item: Pending; event: ProgramEvent }>> {
    const now = new Date();
    const people = new Map<string, Participant | null>();
    const [listened] = await Promise.all([
      this.listened(batch),
      ...[...idsByProgram(batch)].map(async ([programId, ids]) => {
        const stored = await this.participants.findMany(programId, ids);
        for (const id of ids) people.set(inProgram(programId, id), stored.get(id) ?? null);
      }),
    ]);

    const keys = new Set<string>();
    const writes = new Map<string, PersonWrite>();
    const together: Array<{ item: Pending; event: ProgramEvent }> = [];
    for (const item of batch) {
      const key = item.key === null ? null : inProgram(item.programId, item.key);
      // A key seen earlier in the batch waits for the first to be decided, then replays it.
      if (key !== null && keys.has(key)) {
        alone.push(item);
        continue;
      }
      if (key !== null) keys.add(key);
      const plans = this.plan(item, people, now);
      if (!plans) {
        alone.push(item);
        continue;
      }
      for (const { personKey: k, plan } of plans) {
        people.set(k, plan.participant);
        const write = writes.get(k) ?? {};
        if (plan.write === 'insert') write.insert = plan.participant;
        else if (plan.write === 'update' && write.insert) write.insert = plan.participant;
        else if (plan.write === 'update') write.changes = { ...write.changes, ...plan.changes };
        writes.set(k, write);
      }
      together.push({ item, event: buildEvent(item, now, listened) });
    }
    if (together.length === 0) return [];

    if (![...writes.values()].some((w) => w.insert || w.changes)) {
      // Known people, unchanged: the events are one statement, atomic without a transaction.
      // Those whose key was stored before this batch replay the first event, one at a time.
      const inserted = new Set(
        await this.queries.insertMany(
          together.map((t) => t.event),
          { returning: 'id', ignoreConflict: true },
        ),
      );
      for (const t of together) if (!inserted.has(t.event.id)) alone.push(t.item);
      return together.filter((t) => inserted.has(t.event.id));
    }
    return this.dataSource.transaction(async (manager) => {
      const inserted = await this.queries.insertMany(
        together.map((t) => t.event),
        { returning: 'id', ignoreConflict: true, manager },
      );
      // A key stored before this batch: its people must not change, so the batch starts over.
      if (inserted.length !== together.length)
        throw new KeyAlreadyStored('an idempotency key of the batch is already stored');

      // People in key order: batches of several API processes writing at once take their row
      // locks in the same order and cannot deadlock.
      const ordered = [...writes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const inserts = ordered.flatMap(([, w]) => (w.insert ? [w.insert] : []));
      // No conflict handling: a person created elsewhere meanwhile fails the batch, and the
      // one-at-a-time path turns that into an update.
      for (let i = 0; i < inserts.length; i += MAX_BATCH) {
        await this.participants.insertMany(inserts.slice(i, i + MAX_BATCH), manager);
      }
      for (const [k, write] of ordered) {
        if (!write.changes) continue;
        const [programId, id] = k.split('\n');
        await this.participants.applyChanges(programId, id, write.changes, manager);
      }
      return together;
    });
  }

  /**
   * Which (program, type) pairs of the events some enabled rule listens to. An event of a type no
   * rule listens to when it arrives is stored as processed, with no job: most event types have no
   * rule, and their jobs were most of the work of ingest. When the rules cannot be read the event
   * is queued, and its job decides.
   */
  private async listened(events: EventToWrite[]): Promise<Listened> {
    const listened: Listened = new Set();
    const pairs = new Map(events.map((e) => [inProgram(e.programId, e.dto.type), e]));
    await Promise.all(
      [...pairs].map(async ([pair, { programId, dto }]) => {
        try {
          if ((await this.engine.enabledRules(programId, dto.type)).length > 0) listened.add(pair);
        } catch (err) {
          this.logger.warn(
            { err, programId },
            'reading the rules of an event type failed; the event is queued for evaluation',
          );
          listened.add(pair);
        }
      }),
    );
    return listened;
  }

  /** Each person of the event upserted onto what the batch has so far; null when one cannot be. */
  private plan(item: Pending, people: Map<string, Participant | null>, now: Date) {
    try {
      return personsOf(item.dto).map((person) => {
        const k = inProgram(item.programId, person.id);
        return {
          personKey: k,
          plan: this.participants.planUpsert(
            item.programId,
            person.id,
            person.fields,
            people.get(k) ?? null,
            now,
          ),
        };
      });
    } catch {
      // The one-at-a-time path gives this event its answer (an error, or the first event of its key).
      return null;
    }
  }

  /** One event in its own transaction; with an idempotency key the database's unique index decides. */
  private async writeOne(item: EventToWrite): Promise<EventWritten> {
    const listened = await this.listened([item]);
    for (let attempt = 1; ; attempt++) {
      try {
        const event = buildEvent(item, new Date(), listened);
        await this.dataSource.transaction(async (manager) => {
          // The event first: a repeated key stops here, before the people are touched.
          await this.queries.insert(event, { manager });
          for (const person of personsOf(item.dto))
            await this.participants.upsert(item.programId, person.id, person.fields, manager);
        });
        await this.enqueue(queuedIds([event]));
        return { id: event.id, status: event.status };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        if (item.key) {
          const first = await this.queries.findOne({
            programId: item.programId,
            idempotencyKey: item.key,
          });
          if (first) return this.replay(first, item);
        }
        if (attempt >= MAX_INSERT_ATTEMPTS) throw err;
      }
    }
  }

  // The same key again answers with the first event (a different body with it is refused); its
  // job is queued again only while it has not run, in case the first enqueue was lost (the job id
  // keeps it to one).
  private async replay(first: ProgramEvent, item: EventToWrite): Promise<EventWritten> {
    assertSameRequest(first, item.dto);
    if (first.status === 'queued') await this.enqueue([first.id]);
    return { id: first.id, status: first.status };
  }
}

function buildEvent(
  { programId, dto, key }: EventToWrite,
  now: Date,
  listened: Listened,
): ProgramEvent {
  const queued = listened.has(inProgram(programId, dto.type));
  return Object.assign(new ProgramEvent(), {
    id: randomUUID(),
    programId,
    type: dto.type,
    participantId: dto.participant.id,
    referrerId: dto.referrer?.id ?? null,
    data: dto.data ?? {},
    context: contextOf(dto.context),
    occurredAt: dto.occurredAt ? new Date(dto.occurredAt) : now,
    idempotencyKey: key,
    // The request as received: a repeat of its idempotency key is compared with it.
    raw: { ...dto, ...(key ? { idempotencyKey: key } : {}) },
    status: queued ? ('queued' as const) : ('processed' as const),
    results: queued ? null : [],
    error: null,
    processedAt: queued ? null : now,
    createdAt: now,
    updatedAt: now,
  });
}

function queuedIds(events: ProgramEvent[]): string[] {
  return events.flatMap((e) => (e.status === 'queued' ? [e.id] : []));
}

function personsOf(dto: CreateEventDto): Array<{ id: string; fields: ParticipantFields }> {
  const people = [dto.participant, ...(dto.referrer ? [dto.referrer] : [])];
  return people.map((person: EventPersonDto) => {
    const { id, ...fields } = person;
    return { id, fields };
  });
}

function idsByProgram(batch: EventToWrite[]): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const { programId, dto } of batch) {
    const list = ids.get(programId) ?? [];
    list.push(...personsOf(dto).map((p) => p.id));
    ids.set(programId, list);
  }
  return ids;
}
