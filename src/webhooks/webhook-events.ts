import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Repository } from 'typeorm';
import { AppConfig } from '../config/app.config';
import { AfterCommit } from '../database/after-commit';
import { jobOf } from '../queue/job-options';
import { JobQueue } from '../queue/job-queue.port';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import type { WebhookEventType } from './webhook-events.types';

/** One event to tell endpoints about. */
export interface WebhookEvent {
  programId: string;
  /** A built-in event, or the name a rule's webhook action gives its own. */
  type: WebhookEventType | (string & {});
  /** The event's object: ids and facts, never secrets. */
  data: Record<string, unknown>;
  /** What caused it, unique per event: the same key again writes nothing. */
  key: string;
  /** Only this endpoint, whatever it subscribed to (a rule's webhook action). */
  endpointId?: string;
}

/**
 * Writes webhook deliveries in the caller's transaction, one per enabled endpoint that wants the
 * event, and queues them once it commits: an event that is rolled back sends nothing, and one
 * that is committed is sent at least once (the sweeper takes over from a lost job).
 */
@Injectable()
export class WebhookEvents {
  private readonly dispatchAll = (ids: string[]) => this.dispatch(ids);

  constructor(
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    private readonly afterCommit: AfterCommit,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {}

  /** The number of deliveries written (0 when no endpoint wants it, or it was written before). */
  async emit(manager: EntityManager | undefined, event: WebhookEvent): Promise<number> {
    const repo = manager ? manager.getRepository(WebhookEndpoint) : this.endpoints;
    const endpoints = await repo.find({
      where: event.endpointId
        ? { id: event.endpointId, programId: event.programId, status: 'enabled' }
        : { programId: event.programId, status: 'enabled' },
      select: { id: true, events: true },
    });
    const targets = event.endpointId
      ? endpoints
      : endpoints.filter((e) => e.events.includes(event.type));
    if (targets.length === 0) return 0;
    const now = new Date();
    const rows = targets.map((e) => {
      const id = randomUUID();
      return {
        id,
        programId: event.programId,
        endpointId: e.id,
        eventType: event.type,
        dedupeKey: event.key.slice(0, 300),
        // The Standard Webhooks body: type, timestamp, data.
        payload: JSON.stringify({
          type: event.type,
          timestamp: now.toISOString(),
          data: event.data,
        }),
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        // The job about to be queued owns it until then; after that the sweeper may take it.
        lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
        giveUpAt: new Date(now.getTime() + this.config.WEBHOOK_RETRY_WINDOW_MS),
        lastStatusCode: null,
        lastError: null,
        attemptLog: [],
        deliveredAt: null,
        createdAt: now,
        updatedAt: now,
      } satisfies WebhookDelivery;
    });
    await (manager ?? this.endpoints.manager)
      .createQueryBuilder()
      .insert()
      .into(WebhookDelivery)
      .values(rows)
      // A repeated cause (a retried job) writes nothing twice, and keeps the transaction usable.
      .orIgnore()
      .execute();
    // Which rows were new: pg returns them; SQLite's ignore does not say, so look them up.
    const written = await (manager ?? this.endpoints.manager).getRepository(WebhookDelivery).find({
      where: rows.map((r) => ({ id: r.id })),
      select: { id: true },
    });
    for (const { id } of written) this.afterCommit.collect(manager, this.dispatchAll, id);
    return written.length;
  }

  /**
   * Runs `work` (an update that returns the rows it changed) and writes the event's deliveries
   * with it in one transaction, when an endpoint wants the event and the work changed a row.
   * Without an endpoint that wants it, `work` runs on its own, as it would without webhooks.
   */
  async withEvent(
    event: WebhookEvent | null,
    work: (manager: EntityManager | undefined) => Promise<number>,
  ): Promise<number> {
    if (!event || !(await this.wanted(event))) return work(undefined);
    return this.endpoints.manager.transaction(async (manager) => {
      const changed = await work(manager);
      if (changed > 0) await this.emit(manager, event);
      return changed;
    });
  }

  /** Whether an enabled endpoint of the program takes the event. */
  async wanted(event: WebhookEvent, manager?: EntityManager): Promise<boolean> {
    const repo = manager ? manager.getRepository(WebhookEndpoint) : this.endpoints;
    const endpoints = await repo.find({
      where: { programId: event.programId, status: 'enabled' },
      select: { id: true, events: true },
    });
    return endpoints.some((e) => e.id === event.endpointId || e.events.includes(event.type));
  }

  /** For each event, whether an enabled endpoint of its program takes it: one read for all. */
  async wantedOf(events: WebhookEvent[]): Promise<boolean[]> {
    if (events.length === 0) return [];
    const wants = await this.interestOf(events.map((e) => e.programId));
    return events.map(wants);
  }

  /**
   * Whether an enabled endpoint takes an event, for events of these programs: the endpoints read
   * once, then asked as often as needed.
   */
  async interestOf(programIds: string[]): Promise<(event: WebhookEvent) => boolean> {
    const endpoints = programIds.length
      ? await this.endpoints.find({
          where: { programId: In([...new Set(programIds)]), status: 'enabled' },
          select: { id: true, programId: true, events: true },
        })
      : [];
    return (event) =>
      endpoints.some(
        (e) =>
          e.programId === event.programId &&
          (e.id === event.endpointId || e.events.includes(event.type)),
      );
  }

  /** Queues deliveries already committed, optionally after a delay. */
  async dispatch(ids: string[], delayMs?: number): Promise<void> {
    if (ids.length === 0) return;
    await this.queue.enqueueMany(
      'deliver-webhook',
      ids.map((id) => jobOf('deliver-webhook', { deliveryId: id }, delayMs)),
    );
  }
}
