import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { ConsentStore } from '../consent/consent-store';
import { TRANSACTIONAL, unsubscribedMessage } from '../consent/consent-categories';
import { AfterCommit } from '../database/after-commit';
import { OutboxService, type OutboxRequest } from '../messages/outbox.service';
import type { Participant } from '../participants/participant.entity';
import type { Program } from '../programs/program.entity';
import type { Suppression } from '../suppressions/suppression.entity';
import {
  SuppressionsService,
  suppressedMessage,
  suppressionApplies,
} from '../suppressions/suppressions.service';
import { RecipientChecks } from './recipient-checks';
import { MetricsService } from '../metrics/metrics.service';
import { resolveLocaleChain } from '../templates/renderer';
import { TemplatesService, type TemplateDataInput } from '../templates/templates.service';

/** One email to write. */
export interface Notification {
  program: Program;
  /** The participant it is for; a bare address only for a test send. */
  to: { participant: Participant } | { address: string; name?: string | null };
  template: string;
  /**
   * What the template's variables are built from beside the program. `participant` is the
   * recipient unless given (an email to a referrer is about the event's participant).
   */
  context?: Omit<TemplateDataInput, 'program'>;
  /** Variables already built (a preview's), instead of `context`. */
  data?: Record<string, unknown>;
  /** Locales to try, best first; by default the recipient's, then the program's. */
  locales?: string[];
  /** Unique per program: the same key again writes nothing and returns the first message. */
  dedupeKey: string;
  senderId?: string | null;
  /**
   * Variables that are credentials (a one-time link): stored sealed, never in clear, and gone once
   * the message is sent. The message log shows none of its content.
   */
  secretVariables?: Record<string, unknown>;
  /** `platform` for what the service tells the program itself: sent from the platform's address. */
  via?: 'program' | 'platform';
}

export interface Notified {
  id: string;
  /** False when the dedupe key had already written it. */
  created: boolean;
  status: 'queued' | 'suppressed';
}

/** How an email addresses a participant: the whole name, or none. */
export function displayName(p: Pick<Participant, 'firstName' | 'lastName'>): string | null {
  return [p.firstName, p.lastName].filter(Boolean).join(' ') || null;
}

/**
 * The one way an email of the system is written: rule emails, reward emails, verification and
 * reset links, W-9 notices, payout reminders and template test sends all come here. It decides
 * the locales, the recipient's name, the category and whether the address may be sent to at
 * all, writes the outbox row in the caller's transaction, and queues delivery once that
 * transaction commits (every row of one transaction in one call to the queue).
 */
@Injectable()
export class NotifyParticipant {
  private readonly dispatch = (ids: string[]) => this.outbox.dispatch(ids);
  // Counted once the message's transaction committed: a rolled-back write is no message.
  private readonly count = async (written: Array<{ code?: string }>): Promise<void> => {
    for (const { code } of written)
      this.metrics.messageWritten(
        code === undefined ? 'queued' : code === 'UNSUBSCRIBED' ? 'unsubscribed' : 'suppressed',
        code,
      );
  };

  constructor(
    private readonly outbox: OutboxService,
    private readonly suppressions: SuppressionsService,
    private readonly templates: TemplatesService,
    private readonly afterCommit: AfterCommit,
    private readonly secrets: IntegrationSecrets,
    private readonly consent: ConsentStore,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Reads in two statements, inside `manager`'s transaction, what writing emails to `recipients`
   * will check; handed to `execute`, it spares each email those reads.
   */
  async prepare(
    manager: EntityManager,
    recipients: Array<{ programId: string; email: string; participantId: string | null }>,
  ): Promise<RecipientChecks> {
    const suppressions = new Map<string, Suppression | null>();
    const left = new Map<string, Set<string> | null>();
    const byProgram = new Map<string, typeof recipients>();
    for (const r of recipients)
      byProgram.set(r.programId, [...(byProgram.get(r.programId) ?? []), r]);
    for (const [programId, list] of byProgram) {
      const found = await this.suppressions.findAll(
        programId,
        list.map((r) => r.email),
        manager,
      );
      for (const r of list)
        suppressions.set(
          RecipientChecks.key(programId, r.email.toLowerCase()),
          found.get(r.email.toLowerCase()) ?? null,
        );
      const ids = list.flatMap((r) => (r.participantId ? [r.participantId] : []));
      const gone = await this.consent.leftOf(programId, ids, manager);
      for (const id of ids) left.set(RecipientChecks.key(programId, id), gone.get(id) ?? null);
    }
    return new RecipientChecks(suppressions, left);
  }

  /** Writes the email inside `manager`'s transaction, or on its own without one. */
  async execute(
    manager: EntityManager | undefined,
    n: Notification,
    checks?: RecipientChecks,
  ): Promise<Notified> {
    const req = await this.request(manager, n, checks);
    return this.written(manager, req, await this.outbox.write(manager, req));
  }

  /**
   * `execute` for many emails of one transaction, their rows written in one statement; answers
   * in the order given.
   */
  async executeMany(
    manager: EntityManager | undefined,
    list: Notification[],
    checks?: RecipientChecks,
  ): Promise<Notified[]> {
    const reqs: OutboxRequest[] = [];
    for (const n of list) reqs.push(await this.request(manager, n, checks));
    const messages = await this.outbox.writeMany(manager, reqs);
    return messages.map((message, i) => this.written(manager, reqs[i], message));
  }

  /** The outbox row of a notification: its locales, name, category, and whether it may be sent. */
  private async request(
    manager: EntityManager | undefined,
    n: Notification,
    checks?: RecipientChecks,
  ): Promise<OutboxRequest> {
    const participant = 'participant' in n.to ? n.to.participant : null;
    const address = 'address' in n.to ? n.to : null;
    const email = participant?.email ?? address!.address;
    const programId = n.program.id;
    let category = checks?.categoryOf(programId, n.template);
    if (category === undefined) {
      category = await this.consent.categoryOf(programId, n.template, manager);
      checks?.rememberCategory(programId, n.template, category);
    }
    const known = checks?.suppressionOf(programId, email);
    const suppression =
      known === undefined
        ? await this.suppressions.find(programId, email, category, manager)
        : known && suppressionApplies(known, category)
          ? known
          : null;
    // A category the recipient left is not sent; a transactional one is never held here.
    const left =
      !suppression &&
      participant !== null &&
      category !== TRANSACTIONAL &&
      (checks?.hasLeft(programId, participant.id, category) ??
        (await this.consent.hasLeft(programId, participant.id, category, manager)));
    const withheld = suppression
      ? { code: 'RECIPIENT_SUPPRESSED', message: suppressedMessage(suppression) }
      : left
        ? { code: 'UNSUBSCRIBED', message: unsubscribedMessage(category) }
        : undefined;
    return {
      programId: n.program.id,
      templateKey: n.template,
      category,
      recipient: {
        email,
        participantId: participant?.id ?? null,
        name: participant ? displayName(participant) : (address?.name ?? null),
      },
      locales: n.locales ?? resolveLocaleChain(participant?.locale, n.program.defaultLocale),
      data:
        n.data ??
        this.templates.buildData(n.template, { participant, ...n.context, program: n.program }),
      dedupeKey: n.dedupeKey,
      senderId: n.senderId ?? null,
      sensitive: n.secretVariables !== undefined,
      sealedData: n.secretVariables
        ? this.secrets.seal(n.program.id, JSON.stringify(n.secretVariables))
        : null,
      via: n.via,
      withheld,
    };
  }

  /** After the row is written: its delivery and its count, once the transaction commits. */
  private written(
    manager: EntityManager | undefined,
    { withheld }: OutboxRequest,
    message: { id: string; created: boolean },
  ): Notified {
    if (message.created && !withheld) this.afterCommit.collect(manager, this.dispatch, message.id);
    if (message.created) this.afterCommit.collect(manager, this.count, { code: withheld?.code });
    return { ...message, status: withheld ? 'suppressed' : 'queued' };
  }
}
