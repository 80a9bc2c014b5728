import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { EntityQueries } from '../database/entity-queries';
import { OutboxService } from '../messages/outbox.service';
import {
  NotifyParticipant,
  type Notification,
  type Notified,
} from '../notifications/notify-participant';
import type { RecipientChecks } from '../notifications/recipient-checks';
import type { Participant } from '../participants/participant.entity';
import { ParticipantsService } from '../participants/participants.service';
import type { Program } from '../programs/program.entity';
import { ProgramsService } from '../programs/programs.service';
import { AppConfig } from '../config/app.config';
import { eachLimited } from '../common/async/each-limited';
import {
  isPermanentJobError,
  JobContext,
  JobQueue,
  PermanentJobError,
} from '../queue/job-queue.port';
import { backoffDelay, jobOf, retryPolicy } from '../queue/job-options';
import { inProgram } from './event-writer';
import type { Reward } from '../rewards/reward.entity';
import { RewardsService } from '../rewards/rewards.service';
import { creationTemplate } from '../rewards/emails/reward-email-plan';
import { reversalReference, rewardOptionsOf } from '../rewards/rules/reward-action-options';
import { ruleActor } from '../rewards/states/reward-states';
import { WebhookEvents } from '../webhooks/webhook-events';
import { rewardCreated, ruleWebhook } from '../webhooks/webhook-payloads';
import {
  describeAction,
  type ActionOutcome,
  type PlannedAction,
  type RuleResult,
} from '../rules/action-plan';
import { RuleEngine, type RuleRun } from '../rules/rule-engine.service';
import type { Rule } from '../rules/rule.entity';
import { withEventFields } from '../rules/rule-facts';
import { ProgramEvent } from './event.entity';
import { MetricsService } from '../metrics/metrics.service';
import { withoutServerPaths } from '../common/errors/server-paths';
import { FraudService } from '../fraud/fraud.service';

/** What one run of the evaluation job did. */
export type EvaluationOutcome =
  | { outcome: 'processed'; matched: number; messages: number; rewards: number }
  | { outcome: 'skipped'; reason: string };

interface Loaded {
  event: ProgramEvent;
  program: Program;
  participant: Participant;
  referrer: Participant | null;
}

/** What a batch job reads at once for all its events. */
interface BatchRead {
  events: Map<string, ProgramEvent>;
  /** By program and participant id (inProgram). */
  people: Map<string, Participant>;
}

const MAX_ERROR_LENGTH = 2000;
// Events of one batch job evaluated at once; a worker runs several batch jobs side by side.
const BATCH_CONCURRENCY = 4;

/**
 * Runs a stored event through its program's rules and writes what the matching actions
 * produce, all in one transaction: rewards, outbox messages, and the event's results. Every
 * effect has a unique key, so a second run of the same event writes nothing new.
 */
@Injectable()
export class EventEvaluationService {
  private readonly queries: EntityQueries<ProgramEvent>;

  constructor(
    @InjectRepository(ProgramEvent) private readonly events: Repository<ProgramEvent>,
    private readonly dataSource: DataSource,
    private readonly programs: ProgramsService,
    private readonly participants: ParticipantsService,
    private readonly engine: RuleEngine,
    private readonly rewards: RewardsService,
    private readonly outbox: OutboxService,
    private readonly notify: NotifyParticipant,
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly metrics: MetricsService,
    private readonly webhooks: WebhookEvents,
    private readonly fraud: FraudService,
  ) {
    this.queries = new EntityQueries(events);
  }

  /** `read` holds what a batch read for all its events at once: the event row and its people. */
  async evaluate(
    eventId: string,
    ctx: Pick<JobContext, 'attempt' | 'maxAttempts'> = { attempt: 1, maxAttempts: 1 },
    read?: BatchRead,
  ): Promise<EvaluationOutcome> {
    const event = read
      ? (read.events.get(eventId) ?? null)
      : await this.queries.findOne({ id: eventId });
    if (!event) return { outcome: 'skipped', reason: 'the event does not exist' };
    if (event.status === 'processed') {
      // A run whose transaction committed but whose job was not acknowledged: the effects are
      // there; only the delivery of its messages may not have been queued.
      await this.outbox.dispatch(messageIdsOf(event.results ?? []));
      return { outcome: 'skipped', reason: 'the event was already processed' };
    }
    try {
      const program = await this.programs.findById(event.programId);
      if (!program) throw new PermanentJobError(`Program ${event.programId} does not exist.`);
      const rules = await this.engine.enabledRules(program.id, event.type);
      // Most event types have no rule: nothing to read about the people, nothing to write but the status.
      if (rules.length === 0) {
        await this.markProcessed(event.id, []);
        this.metrics.event('processed');
        return { outcome: 'processed', matched: 0, messages: 0, rewards: 0 };
      }
      const outcome = await this.process(await this.load(event, program, read?.people), rules);
      if (outcome.outcome === 'processed') this.metrics.event('processed');
      return outcome;
    } catch (err) {
      const final = isPermanentJobError(err) || ctx.attempt >= ctx.maxAttempts;
      await this.recordFailure(event, err, final);
      this.metrics.event(final ? 'failed' : 'retried');
      throw err;
    }
  }

  /**
   * Evaluates events that arrived together, a few at a time. The batch is the first attempt of
   * each: an event that fails for a reason a retry can cure gets a job of its own, with the
   * usual retries and backoff, and the others are not held back by it.
   */
  async evaluateMany(eventIds: string[]): Promise<{ evaluated: number; retried: number }> {
    const read = await this.readBatch(eventIds);
    let alone: string[];
    try {
      alone = await this.evaluateTogether(eventIds, read);
    } catch (err) {
      // The batch's transaction failed and wrote nothing: each event is evaluated on its own, so
      // that the one at fault does not hold back the others.
      this.logger.info(
        { err, events: eventIds.length },
        'a batch of events is evaluated one by one',
      );
      alone = eventIds;
    }
    const retry: string[] = [];
    const policy = retryPolicy(this.config);
    await eachLimited(alone, BATCH_CONCURRENCY, async (eventId) => {
      try {
        // Not the last attempt: the job of its own has them all still.
        await this.evaluate(eventId, { attempt: 1, maxAttempts: policy.attempts + 1 }, read);
      } catch (err) {
        if (!isPermanentJobError(err)) retry.push(eventId);
      }
    });
    if (retry.length > 0) {
      const delayMs = backoffDelay(policy.backoffMs, 1);
      await this.queue.enqueueMany(
        'evaluate-event',
        retry.map((eventId) => jobOf('evaluate-event', { eventId }, delayMs)),
      );
    }
    return { evaluated: eventIds.length - retry.length, retried: retry.length };
  }

  /**
   * The batch in one transaction: each event through its rules as `evaluate` does, their effects
   * written one after the other, and every event's status in one statement. An event that cannot
   * be planned fails for good at once (a missing participant) or is left to be evaluated on its
   * own (anything a retry may cure); those are the ids it answers. Throws, having written
   * nothing, when the transaction fails.
   */
  private async evaluateTogether(eventIds: string[], read: BatchRead): Promise<string[]> {
    const events = eventIds.flatMap((id) => read.events.get(id) ?? []);
    // Processed already (a run that committed without its job acknowledged): queue its messages.
    const done = events.filter((e) => e.status === 'processed');
    if (done.length > 0)
      await this.outbox.dispatch(done.flatMap((e) => messageIdsOf(e.results ?? [])));
    const programs = new Map<string, Promise<Program | null>>();
    const rulesOf = new Map<string, Promise<Rule[]>>();
    const planned: Array<{ event: ProgramEvent; loaded: Loaded | null; runs: RuleRun[] }> = [];
    const alone: string[] = [];
    for (const event of events.filter((e) => e.status !== 'processed')) {
      try {
        if (!programs.has(event.programId))
          programs.set(event.programId, this.programs.findById(event.programId));
        const program = await programs.get(event.programId)!;
        if (!program) throw new PermanentJobError(`Program ${event.programId} does not exist.`);
        const rulesKey = `${program.id}\n${event.type}`;
        if (!rulesOf.has(rulesKey))
          rulesOf.set(rulesKey, this.engine.enabledRules(program.id, event.type));
        const rules = await rulesOf.get(rulesKey)!;
        // Most event types have no rule: nothing to read about the people, only the status.
        if (rules.length === 0) {
          planned.push({ event, loaded: null, runs: [] });
          continue;
        }
        const loaded = await this.load(event, program, read.people);
        planned.push({ event, loaded, runs: await this.engine.run(runInput(loaded), rules) });
      } catch (err) {
        if (!isPermanentJobError(err)) {
          alone.push(event.id);
          continue;
        }
        await this.recordFailure(event, err, true);
        this.metrics.event('failed');
      }
    }
    const record = async (manager: EntityManager) => {
      const now = new Date();
      // What the emails of the batch check (suppressions, consent), read once for all of them.
      const recipients = planned.flatMap(({ event, runs }) =>
        runs.flatMap((run) =>
          run.actions.flatMap((a) =>
            // Webhook and reverse-rewards actions email no one.
            writes(a) && (a.action.type === 'email' || a.action.type === 'reward')
              ? [
                  {
                    programId: event.programId,
                    email: a.recipient.email,
                    participantId: a.recipient.id,
                  },
                ]
              : [],
          ),
        ),
      );
      const checks = recipients.length ? await this.notify.prepare(manager, recipients) : undefined;
      const emails = new EmailsToWrite();
      const statuses: Partial<ProgramEvent>[] = [];
      for (const { event, loaded, runs } of planned)
        statuses.push({
          id: event.id,
          status: 'processed',
          results: loaded ? await this.recordRuns(manager, loaded, runs, emails) : [],
          error: null,
          processedAt: now,
          updatedAt: now,
        });
      // The results name their messages once these are written: before the statuses are.
      await emails.write(this.notify, manager, checks);
      await this.queries.updateEach(statuses, { by: 'id', manager });
    };
    if (planned.some((p) => p.runs.some((run) => run.actions.some(writes))))
      await this.dataSource.transaction(record);
    else if (planned.length > 0) await record(this.dataSource.manager);
    for (let i = 0; i < planned.length; i++) this.metrics.event('processed');
    return alone;
  }

  /** The events of a batch in one query, and the people of those still queued in one per program. */
  private async readBatch(eventIds: string[]): Promise<BatchRead> {
    const events = await this.queries.findIn({}, 'id', eventIds);
    const ids = new Map<string, Set<string>>();
    for (const e of events) {
      if (e.status !== 'queued') continue;
      const list = ids.get(e.programId) ?? new Set<string>();
      list.add(e.participantId);
      if (e.referrerId) list.add(e.referrerId);
      ids.set(e.programId, list);
    }
    const people = new Map<string, Participant>();
    for (const [programId, list] of ids) {
      for (const [id, person] of await this.participants.findMany(programId, [...list]))
        people.set(inProgram(programId, id), person);
    }
    return { events: new Map(events.map((e) => [e.id, e])), people };
  }

  private async markProcessed(
    eventId: string,
    results: RuleResult[],
    manager?: EntityManager,
  ): Promise<void> {
    const now = new Date();
    await this.queries.update(
      { status: 'processed', results, error: null, processedAt: now, updatedAt: now },
      { id: eventId },
      manager,
    );
  }

  private async load(
    event: ProgramEvent,
    program: Program,
    batch?: Map<string, Participant>,
  ): Promise<Loaded> {
    const ids = event.referrerId ? [event.participantId, event.referrerId] : [event.participantId];
    // Read with the batch, or both people in one read; one missing from the batch's read is read again.
    const people =
      batch && ids.every((id) => batch.has(inProgram(event.programId, id)))
        ? new Map(ids.map((id) => [id, batch.get(inProgram(event.programId, id))!]))
        : await this.participants.findMany(event.programId, ids);
    const participant = people.get(event.participantId);
    if (!participant)
      throw new PermanentJobError(`Participant "${event.participantId}" does not exist.`);
    const referrer = event.referrerId ? (people.get(event.referrerId) ?? null) : null;
    if (event.referrerId && !referrer)
      throw new PermanentJobError(`Referrer "${event.referrerId}" does not exist.`);
    const raw = event.raw as {
      participant?: Record<string, unknown>;
      referrer?: Record<string, unknown>;
    };
    return {
      event,
      program,
      participant: withEventFields(participant, raw.participant),
      referrer: referrer && withEventFields(referrer, raw.referrer),
    };
  }

  private async process(loaded: Loaded, rules: Rule[]): Promise<EvaluationOutcome> {
    const runs = await this.engine.run(runInput(loaded), rules);
    let results: RuleResult[] = [];
    const record = async (manager: EntityManager) => {
      const emails = new EmailsToWrite();
      results = await this.recordRuns(manager, loaded, runs, emails);
      await emails.write(this.notify, manager);
      await this.markProcessed(loaded.event.id, results, manager);
    };
    // Only the status to write (no rule matched, or every action skipped): one statement, no transaction.
    if (runs.some((run) => run.actions.some(writes))) await this.dataSource.transaction(record);
    else await record(this.dataSource.manager);
    const actions = results.flatMap((r) => r.actions);
    return {
      outcome: 'processed',
      matched: runs.filter((r) => r.evaluation.matched).length,
      messages: actions.filter((a) => a.messageId).length,
      rewards: actions.filter((a) => a.rewardId && !a.duplicate).length,
    };
  }

  /** Writes what the runs' actions produce, in the caller's transaction; answers the results. */
  private async recordRuns(
    manager: EntityManager,
    loaded: Loaded,
    runs: RuleRun[],
    emails: EmailsToWrite,
  ): Promise<RuleResult[]> {
    const results: RuleResult[] = [];
    for (const run of runs) {
      const actions: ActionOutcome[] = [];
      for (const planned of run.actions)
        actions.push(await this.apply(manager, loaded, run, planned, emails));
      results.push(resultOf(run, actions));
    }
    return results;
  }

  private async apply(
    manager: EntityManager,
    loaded: Loaded,
    run: RuleRun,
    planned: PlannedAction,
    emails: EmailsToWrite,
  ): Promise<ActionOutcome> {
    const base = describeAction(planned);
    if (!writes(planned)) {
      return {
        ...base,
        outcome: 'skipped',
        reason: planned.skip?.reason ?? 'RECIPIENT_MISSING',
        message: planned.skip?.message,
      };
    }
    const { action, recipient, effectKey } = planned;
    if (action.type === 'email') {
      const outcome: ActionOutcome = { ...base, outcome: 'written' };
      emails.add(
        this.email(loaded, action.template, action.to, recipient, effectKey, {
          senderId: action.sender ?? null,
        }),
        (message) => {
          outcome.messageId = message.id;
          if (!message.created) outcome.duplicate = true;
        },
      );
      return outcome;
    }
    const { program, event } = loaded;
    const actor = ruleActor(run.rule.id, run.rule.version);
    if (action.type === 'webhook') {
      const written = await this.webhooks.emit(
        manager,
        ruleWebhook(action, effectKey, {
          program,
          event,
          participant: loaded.participant,
          referrer: loaded.referrer,
          rule: run.rule,
        }),
      );
      return { ...base, outcome: 'written', ...(written ? {} : { duplicate: true }) };
    }
    if (action.type === 'reverse-rewards') {
      const reference = reversalReference(action, event.data);
      if (reference === null)
        return {
          ...base,
          outcome: 'skipped',
          reason: 'REFERENCE_MISSING',
          message: `The event's data has no string or number at ${action.ref}; no reward was reversed.`,
        };
      const reversed = await this.rewards.reverseByReference(manager, program, reference, {
        reason: action.reason ?? 'refund',
        actor,
      });
      return { ...base, outcome: 'written', reference, reversed };
    }
    const options = rewardOptionsOf(action, event.data, event.createdAt ?? new Date());
    const fraud = await this.fraud.assess(
      { program, participant: loaded.participant, referrer: loaded.referrer, to: action.to },
      manager,
    );
    // A match the program acts on is written pending; "deny" then denies it below.
    if (fraud && fraud.action !== 'none')
      options.pending = { reason: 'FRAUD_REVIEW', releaseAt: null };
    const { reward, created } = await this.rewards.createInTransaction(
      manager,
      {
        programId: program.id,
        participantId: recipient.id,
        kind: action.kind,
        amount: action.amount,
        currency: action.currency,
        taxableUsd: action.taxableUsd,
        ruleId: run.rule.id,
        ruleVersion: run.rule.version,
        eventId: event.id,
        effectKey,
        pending: options.pending,
        reference: options.reference,
        expiresAfterSeconds: options.expiresAfterSeconds,
        emails: options.emails,
        fraud,
        actor,
        codePoolId: action.codePool ?? null,
      },
      { program, participant: recipient },
    );
    if (created) await this.webhooks.emit(manager, rewardCreated(reward));
    // Denied through the one transition path: the reward-denied email and webhooks follow.
    if (created && fraud?.action === 'deny')
      await this.rewards.transition(manager, reward, 'denied', program, {
        reason: fraud.reasons[0],
        actor,
      });
    const outcome: ActionOutcome = {
      ...base,
      outcome: 'written',
      rewardId: reward.id,
      status: reward.status,
      ...(reward.pendingReason ? { pendingReason: reward.pendingReason } : {}),
      ...(reward.releaseAt ? { releaseAt: new Date(reward.releaseAt).toISOString() } : {}),
      ...(reward.fraud ? { fraud: reward.fraud } : {}),
      ...(created ? {} : { duplicate: true }),
    };
    // The email of the state it was written in: reward-pending, or the rule's (reward-earned).
    const template = creationTemplate(reward);
    if (!template) return outcome;
    if (planned.emailSkip) return { ...outcome, ...planned.emailSkip };
    emails.add(
      this.email(loaded, template, action.to, recipient, `${effectKey}:email`, {
        reward,
        ...(reward.status === 'pending'
          ? { vars: { pendingReason: reward.pendingReason, releaseAt: reward.releaseAt } }
          : {}),
      }),
      (message) => {
        outcome.messageId = message.id;
      },
    );
    return outcome;
  }

  /** The notification of an email action, or of a reward's email. */
  private email(
    { program, event, participant, referrer }: Loaded,
    template: string,
    role: 'participant' | 'referrer',
    recipient: Participant,
    dedupeKey: string,
    extra: { senderId?: string | null; reward?: Reward; vars?: Record<string, unknown> },
  ): Notification {
    return {
      program,
      to: { participant: recipient },
      template,
      context: {
        participant,
        referrer,
        recipientRole: role,
        reward: extra.reward ?? null,
        event: { type: event.type, data: event.data, occurredAt: event.occurredAt },
        extra: extra.vars,
      },
      dedupeKey: autoAnswerKey(event, recipient) ?? dedupeKey,
      senderId: extra.senderId,
    };
  }

  // Every failed attempt leaves its error on the event, so GET /v1/events/:id says why it is
  // still queued; the last one also marks it failed.
  private async recordFailure(event: ProgramEvent, err: unknown, final: boolean): Promise<void> {
    const message = withoutServerPaths(err instanceof Error ? err.message : String(err)).slice(
      0,
      MAX_ERROR_LENGTH,
    );
    try {
      // Only while not processed: a run that committed in the meantime wins.
      await this.events
        .createQueryBuilder()
        .update()
        .set({
          ...(final ? { status: 'failed' as const } : {}),
          error: message,
          updatedAt: new Date(),
        })
        .where('id = :id AND status <> :processed', { id: event.id, processed: 'processed' })
        .execute();
    } catch (updateErr) {
      this.logger.error(
        { err: updateErr, eventId: event.id },
        'recording the failure of an event failed',
      );
    }
  }
}

/** Whether the action writes something (a reward, a message), rather than being skipped. */
function writes(
  planned: PlannedAction,
): planned is PlannedAction & { recipient: Participant; effectKey: string } {
  // reverse-rewards goes to no one: it changes rewards already written.
  const recipient =
    !!planned.recipient ||
    planned.action.type === 'reverse-rewards' ||
    planned.action.type === 'webhook';
  return !planned.skip && recipient && !!planned.effectKey;
}

/**
 * An answer to someone who wrote in (an `email.received` event) goes out at most once a day per
 * sender, whatever the rules: two services answering each other would never stop.
 */
function autoAnswerKey(event: ProgramEvent, recipient: Participant): string | null {
  if (event.type !== 'email.received' || recipient.id !== event.participantId) return null;
  return `auto-answer:${recipient.id}:${event.occurredAt.toISOString().slice(0, 10)}`;
}

function runInput({ event, program, participant, referrer }: Loaded) {
  return {
    program,
    eventType: event.type,
    data: event.data,
    participant,
    referrer,
    eventId: event.id,
  };
}

function resultOf(run: RuleRun, actions: ActionOutcome[]): RuleResult {
  return {
    ruleId: run.rule.id,
    ruleName: run.rule.name,
    ruleVersion: run.rule.version,
    matched: run.evaluation.matched,
    failedConditions: run.evaluation.failedConditions,
    actions,
    ...(run.evaluation.error ? { error: run.evaluation.error } : {}),
  };
}

function messageIdsOf(results: RuleResult[]): string[] {
  return results.flatMap((r) => r.actions.flatMap((a) => (a.messageId ? [a.messageId] : [])));
}

/**
 * The emails of one transaction's evaluations: their rows are written together, in one
 * statement, once every action is planned, and each action's outcome then names its message.
 */
class EmailsToWrite {
  private readonly list: Array<{ n: Notification; done: (m: Notified) => void }> = [];

  add(n: Notification, done: (m: Notified) => void): void {
    this.list.push({ n, done });
  }

  async write(notify: NotifyParticipant, manager: EntityManager, checks?: RecipientChecks) {
    if (this.list.length === 0) return;
    const list = this.list.splice(0, this.list.length);
    const written = await notify.executeMany(
      manager,
      list.map((e) => e.n),
      checks,
    );
    written.forEach((m, i) => list[i].done(m));
  }
}
