import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, LessThan, Repository } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { EntityQueries } from '../database/entity-queries';
import { newTag } from '../common/crypto/tags';
import { jobOf } from '../queue/job-options';
import { JobQueue } from '../queue/job-queue.port';
import { Message } from './message.entity';

// Rows of one INSERT: about 25 parameters each, well under SQLite's and Postgres's limits.
const INSERT_ROWS = 200;

export interface OutboxRequest {
  programId: string;
  templateKey: string;
  category: string;
  recipient: { email: string; participantId?: string | null; name?: string | null };
  /** Locales to try, best first (see resolveLocaleChain). */
  locales: string[];
  /** Template variables, fixed now and rendered at delivery. */
  data: Record<string, unknown>;
  /** Unique per program: the same key again writes nothing and returns the first message. */
  dedupeKey: string;
  senderId?: string | null;
  /** The content holds one-time links: kept out of the message log. */
  sensitive?: boolean;
  /** Credentials among the variables (one-time links), already sealed. */
  sealedData?: string | null;
  /** `platform`: the platform's own sender carries it (an alert to the program). */
  via?: 'program' | 'platform';
  /** Why it will not be sent, decided before it was written (a suppressed address). */
  withheld?: { code: string; message: string };
}

/**
 * The outbox: every email is a row first and a job second. Rows are written inside the
 * caller's transaction; jobs are queued after it commits, and the sweeper re-queues any row
 * whose job was lost.
 */
@Injectable()
export class OutboxService {
  private readonly queries: EntityQueries<Message>;
  private handOver: Array<{ ids: string[]; done: (err?: Error) => void }> = [];
  private handingOver = false;

  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {
    this.queries = new EntityQueries(messages);
  }

  /**
   * Writes the row in the caller's transaction (or on its own with no manager), or finds the
   * one its dedupe key already wrote. Queueing it is the caller's, after the commit.
   */
  async write(
    manager: EntityManager | undefined,
    req: OutboxRequest,
  ): Promise<{ id: string; created: boolean }> {
    const row = this.rowOf(req, new Date());
    // Insert-or-ignore keeps the caller's transaction usable on Postgres, where a failed
    // unique insert would abort it.
    if (await this.queries.insert(row, { ignoreConflict: true, manager }))
      return { id: row.id, created: true };
    const stored = await this.queries.findOne(
      { programId: req.programId, dedupeKey: req.dedupeKey },
      manager,
    );
    if (!stored) throw new Error(`outbox message ${req.dedupeKey} was neither inserted nor found`);
    return { id: stored.id, created: false };
  }

  /**
   * `write` for many rows in one statement (a batch of evaluations): answers, in the order
   * asked, each row's id and whether this call wrote it. Rows whose dedupe key was written
   * before, or earlier in the same list, are found in one read per program.
   */
  async writeMany(
    manager: EntityManager | undefined,
    reqs: OutboxRequest[],
  ): Promise<Array<{ id: string; created: boolean }>> {
    const now = new Date();
    const rows = reqs.map((req) => this.rowOf(req, now));
    const written = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_ROWS)
      for (const id of await this.queries.insertMany(rows.slice(i, i + INSERT_ROWS), {
        returning: 'id',
        ignoreConflict: true,
        manager,
      }))
        written.add(id);
    const keyOf = (programId: string, dedupeKey: string) => `${programId}\n${dedupeKey}`;
    const missing = new Map<string, string[]>();
    for (const row of rows)
      if (!written.has(row.id))
        missing.set(row.programId, [...(missing.get(row.programId) ?? []), row.dedupeKey]);
    const stored = new Map<string, string>();
    for (const [programId, keys] of missing)
      for (const m of await this.queries.findIn({ programId }, 'dedupeKey', keys, manager))
        stored.set(keyOf(programId, m.dedupeKey), m.id);
    return rows.map((row) => {
      if (written.has(row.id)) return { id: row.id, created: true };
      const id = stored.get(keyOf(row.programId, row.dedupeKey));
      if (!id) throw new Error(`outbox message ${row.dedupeKey} was neither inserted nor found`);
      return { id, created: false };
    });
  }

  /** The row a request writes; every row has the same columns, so many go in one statement. */
  private rowOf(
    req: OutboxRequest,
    now: Date,
  ): Partial<Message> & Pick<Message, 'id' | 'programId' | 'dedupeKey'> {
    return {
      id: randomUUID(),
      programId: req.programId,
      templateKey: req.templateKey,
      category: req.category,
      locales: req.locales,
      locale: null,
      toEmail: req.recipient.email,
      toName: req.recipient.name ?? null,
      participantId: req.recipient.participantId ?? null,
      senderId: req.senderId ?? null,
      data: req.data,
      dedupeKey: req.dedupeKey,
      sensitive: req.sensitive ?? false,
      sealedData: req.sealedData ?? null,
      // The built-in sender's envelope sender names the message by it; bounces come back to it.
      returnPathTag: newTag(),
      via: req.via ?? 'program',
      status: req.withheld ? 'suppressed' : 'queued',
      transport: null,
      attempts: 0,
      attemptLog: [],
      errorCode: req.withheld?.code ?? null,
      errorMessage: req.withheld?.message ?? null,
      errorPermanent: req.withheld ? true : null,
      // Until this passes the message belongs to the job about to be queued; then the sweeper may take it.
      lockedUntil: req.withheld ? null : new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Queues delivery of messages already committed. Messages handed over while an earlier hand-over
   * is on its way to the queue wait for it and go together in the next, one job per
   * DELIVERY_BATCH_SIZE of them: a single message goes out at once, and under load the
   * evaluations of many events share a job.
   */
  dispatch(ids: string[], delayMs?: number): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    if (delayMs) return this.enqueue(ids, delayMs);
    return new Promise((resolve, reject) => {
      this.handOver.push({ ids, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.handingOver) void this.drainHandOver();
    });
  }

  private async drainHandOver(): Promise<void> {
    this.handingOver = true;
    // Hand-overs of the same turn of the event loop go together.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.handOver.length > 0) {
      const waiting = this.handOver.splice(0, this.handOver.length);
      try {
        await this.enqueue(waiting.flatMap((w) => w.ids));
        for (const w of waiting) w.done();
      } catch (err) {
        for (const w of waiting) w.done(err instanceof Error ? err : new Error(String(err)));
      }
    }
    this.handingOver = false;
  }

  private async enqueue(ids: string[], delayMs?: number): Promise<void> {
    const size = this.config.DELIVERY_BATCH_SIZE;
    const jobs: Array<ReturnType<typeof jobOf<'deliver-messages'>>> = [];
    for (let i = 0; i < ids.length; i += size)
      jobs.push(jobOf('deliver-messages', { messageIds: ids.slice(i, i + size) }, delayMs));
    await this.queue.enqueueMany('deliver-messages', jobs);
  }

  /** A failed or suppressed message, sent again from the start. */
  async retry(programId: string, id: string): Promise<Message | null> {
    const now = new Date();
    const res = await this.messages.update(
      { id, programId, status: In(['failed', 'suppressed']) },
      {
        status: 'queued',
        errorCode: null,
        errorMessage: null,
        errorPermanent: null,
        attempts: 0,
        lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
        updatedAt: now,
      },
    );
    if (!res.affected) return null;
    await this.dispatch([id]);
    return this.messages.findOneBy({ id, programId });
  }

  /** Re-queues messages whose job was lost (a restart, Redis flushed, a worker killed). */
  async sweepStale(limit = 500): Promise<number> {
    const stale = await this.messages.find({
      where: [
        { status: 'queued', lockedUntil: LessThan(new Date()) },
        { status: 'sending', lockedUntil: LessThan(new Date()) },
      ],
      select: { id: true },
      take: limit,
      order: { lockedUntil: 'ASC' },
    });
    if (stale.length === 0) return 0;
    // Back to queued with a new deadline first: a message left "sending" by a dead worker becomes
    // claimable again, and each stale message is queued once per period rather than once per
    // sweep while a long queue works through it.
    const now = new Date();
    await this.messages.update(
      {
        id: In(stale.map((m) => m.id)),
        status: In(['queued', 'sending']),
        lockedUntil: LessThan(now),
      },
      { status: 'queued', lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS) },
    );
    await this.dispatch(stale.map((m) => m.id));
    return stale.length;
  }
}
