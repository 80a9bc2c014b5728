import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors/database-errors';
import { AppConfig } from '../config/app.config';
import { EntityQueries } from '../database/entity-queries';
import { Message, type MessageAttempt } from '../messages/message.entity';
import { MetricsService, type MessageMetricStatus } from '../metrics/metrics.service';
import { WebhookEvents, type WebhookEvent } from '../webhooks/webhook-events';
import { messageOutcome } from '../webhooks/webhook-payloads';

/** The metric of an attempt: what the message became, through which transport, with which code. */
function attemptMetric(
  attempt: Omit<MessageAttempt, 'at'>,
  patch: Partial<Message>,
): [Exclude<MessageMetricStatus, 'queued'>, string | null | undefined, string | undefined] {
  const status =
    attempt.outcome === 'retry'
      ? 'retried'
      : attempt.outcome === 'suppressed' && attempt.code === 'UNSUBSCRIBED'
        ? 'unsubscribed'
        : attempt.outcome;
  return [status, attempt.transport ?? patch.transport, attempt.code];
}

interface Pending {
  message: Message;
  row: Partial<Message>;
  hook: WebhookEvent | null;
  /** Whether an endpoint wants the hook, when known beforehand. */
  wanted?: boolean;
  done: (err?: unknown) => void;
}

// The most rows one statement writes; a longer queue of outcomes takes several.
const MOST_PER_STATEMENT = 100;

/**
 * Records what became of claimed messages. Outcomes that arrive while a write is under way are
 * written together by the next one, one statement per shape of change: under load many sends
 * end in one round trip, and alone a message is written at once. An outcome an endpoint wants as
 * a webhook event is written on its own, in one transaction with the event.
 */
@Injectable()
export class OutcomeWriter {
  private readonly queries: EntityQueries<Message>;
  private queued: Pending[] = [];
  private writing = false;
  // Read with a batch's claim: which of its messages' outcomes endpoints want.
  private readonly interest = new WeakMap<Message, (event: WebhookEvent) => boolean>();

  constructor(
    @InjectRepository(Message) messages: Repository<Message>,
    private readonly webhooks: WebhookEvents,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    this.queries = new EntityQueries(messages);
  }

  /**
   * Tells, for messages just claimed, which outcome events endpoints want (read once for the
   * batch), so that recording their outcomes reads no endpoints.
   */
  async expect(messages: Message[]): Promise<void> {
    const wants = await this.persist(() =>
      this.webhooks.interestOf(messages.map((m) => m.programId)),
    );
    for (const m of messages) this.interest.set(m, wants);
  }

  /** Records `patch` on a message this worker claimed, with `attempt` added to its log. */
  record(
    message: Message,
    patch: Partial<Message>,
    attempt: Omit<MessageAttempt, 'at'> | null,
  ): Promise<void> {
    if (attempt) {
      message.attemptLog = [...message.attemptLog, { at: new Date().toISOString(), ...attempt }];
      // Counted when the row says so; nothing here touches the database or waits.
      this.metrics.messageAttempt(...attemptMetric(attempt, patch), message.createdAt);
    }
    const row: Partial<Message> = {
      id: message.id,
      // A message that waited has used the send it waited for, whatever happens now.
      notBefore: null,
      limitKey: null,
      ...patch,
      attemptLog: message.attemptLog,
      updatedAt: new Date(),
    };
    const hook = messageOutcome(message, patch);
    const wants = this.interest.get(message);
    return new Promise((resolve, reject) => {
      this.queued.push({
        message,
        row,
        hook,
        wanted: hook && wants ? wants(hook) : undefined,
        done: (err) =>
          err
            ? reject(err instanceof Error ? err : new Error('could not record the outcome'))
            : resolve(),
      });
      if (!this.writing) void this.drain();
    });
  }

  /** Adds an entry to the log of a message whose outcome is already recorded. */
  async appendLog(message: Message, entry: MessageAttempt): Promise<void> {
    message.attemptLog = [...message.attemptLog, entry];
    await this.queries.update({ attemptLog: message.attemptLog }, { id: message.id });
  }

  // Between its claim and its recorded outcome a message is this worker's alone: a database away
  // for a moment must not leave it claimed (and sent again once the claim expires), so keep trying
  // within the claim.
  async persist<T>(work: () => Promise<T>): Promise<T> {
    const until = Date.now() + this.config.MESSAGE_CLAIM_MS / 2;
    for (let waitMs = 250; ; waitMs = Math.min(waitMs * 2, 5000)) {
      try {
        return await work();
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() + waitMs > until) throw err;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Outcomes of the same turn of the event loop go in the first write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, MOST_PER_STATEMENT);
      try {
        await this.write(batch);
      } catch (err) {
        // Not expected (write answers each outcome itself), but no caller may wait forever.
        for (const p of batch) p.done(err);
      }
    }
    this.writing = false;
  }

  private async write(batch: Pending[]): Promise<void> {
    let wanted: Set<string>;
    try {
      wanted = await this.persist(() => this.wantedEvents(batch));
    } catch (err) {
      for (const p of batch) p.done(err);
      return;
    }
    const alone = batch.filter((p) => p.hook && (p.wanted ?? wanted.has(p.message.id)));
    const together = batch.filter((p) => !alone.includes(p));
    const byShape = new Map<string, Pending[]>();
    for (const p of together) {
      const shape = Object.keys(p.row).join(',');
      byShape.set(shape, [...(byShape.get(shape) ?? []), p]);
    }
    await Promise.all([
      ...[...byShape.values()].map((group) => this.writeTogether(group)),
      ...alone.map((p) => this.writeAlone(p)),
    ]);
  }

  /** Which messages of the batch have an outcome an enabled endpoint wants: one read for all. */
  private async wantedEvents(batch: Pending[]): Promise<Set<string>> {
    const hooks = batch.flatMap((p) =>
      p.hook && p.wanted === undefined ? [{ id: p.message.id, hook: p.hook }] : [],
    );
    if (hooks.length === 0) return new Set();
    const wanted = await this.webhooks.wantedOf(hooks.map((h) => h.hook));
    return new Set(hooks.filter((_, i) => wanted[i]).map((h) => h.id));
  }

  private async writeTogether(group: Pending[]): Promise<void> {
    try {
      await this.persist(async () => {
        if (group.length === 1)
          await this.queries.update(group[0].row, { id: group[0].message.id, status: 'sending' });
        else
          await this.queries.updateEach(
            group.map((p) => p.row),
            { by: 'id', where: { status: 'sending' } },
          );
      });
      for (const p of group) p.done();
    } catch (err) {
      if (group.length === 1) return group[0].done(err);
      // One row the statement could not take must not fail the others: each on its own.
      await Promise.all(group.map((p) => this.writeTogether([p])));
    }
  }

  private async writeAlone(p: Pending): Promise<void> {
    try {
      await this.persist(() =>
        this.webhooks.withEvent(p.hook, (manager) =>
          this.queries.update(p.row, { id: p.message.id, status: 'sending' }, manager),
        ),
      );
      p.done();
    } catch (err) {
      p.done(err);
    }
  }
}
