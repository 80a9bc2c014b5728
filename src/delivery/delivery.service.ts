import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { withoutServerPaths } from '../common/errors/server-paths';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig, MIN_MESSAGE_CLAIM_MS } from '../config/app.config';
import { TRANSACTIONAL, unsubscribedMessage } from '../consent/consent-categories';
import { ConsentHeaders, withUnsubscribeUrl } from '../consent/consent-headers';
import { ConsentStore } from '../consent/consent-store';
import { EntityQueries } from '../database/entity-queries';
import { Message, MessageAttempt } from '../messages/message.entity';
import { OutboxService } from '../messages/outbox.service';
import { returnPathAddress } from '../inbound/inbound-addresses';
import { backoffDelay } from '../queue/job-options';
import {
  SuppressionsService,
  suppressedMessage,
  suppressionApplies,
} from '../suppressions/suppressions.service';
import { TemplatesService } from '../templates/templates.service';
import type { MailRoute, SmtpRoute } from '../transports/mail-route';
import { SendLimiter, type Admission } from '../send-limits/send-limiter';
import { MailTransports } from '../transports/mail-transports';
import { SmtpError } from '../transports/smtp/smtp-errors';
import {
  ACCOUNT_WAIT_RECHECK_MS,
  isAccountWaiting,
  type AccountWaitingError,
} from '../transports/accounts/account-waiting';
import { OutcomeWriter } from './outcome-writer';

type BatchAdmit = ReturnType<SendLimiter['forBatch']>;

export type DeliveryOutcome =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'retry'; code: string; delayMs: number }
  | { outcome: 'failed' | 'suppressed'; code: string }
  | { outcome: 'waiting'; notBefore: string };

/** Why a claimed message must not go out after all. */
interface HeldBack {
  code: string;
  message: string;
  permanent: true;
}

// Sends of one job under way at once: enough to keep a route's pool busy, few enough that a
// message does not wait long behind its batch (its claim covers one send's timeouts).
const SENDS_AT_ONCE = 8;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

const errorOf = (err: unknown): { code: string; message: string; permanent: boolean } => {
  if (err instanceof SmtpError)
    return { code: err.code, message: err.message, permanent: err.permanent };
  const e = err as { code?: unknown; message?: unknown; permanent?: unknown };
  const code = typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : 'DELIVERY_ERROR';
  return {
    code,
    // Not an SMTP answer: a file, a module, a socket of this machine may be named in it.
    message: typeof e?.message === 'string' ? withoutServerPaths(e.message) : 'Delivery failed.',
    // Retrying cannot fix a template, nor a route that needs a person (a password, a DNS record).
    permanent: code.startsWith('TEMPLATE_') || e?.permanent === true,
  };
};

/**
 * Sends one outbox message: claim it, render it, ask the transports for its route, send it
 * through the route's driver, record what happened. Transient failures are retried here with
 * backoff, counted on the row.
 */
@Injectable()
export class DeliveryService {
  private readonly queries: EntityQueries<Message>;

  constructor(
    @InjectRepository(Message) messages: Repository<Message>,
    private readonly outbox: OutboxService,
    private readonly suppressions: SuppressionsService,
    private readonly templates: TemplatesService,
    private readonly transports: MailTransports,
    private readonly secrets: IntegrationSecrets,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly consent: ConsentStore,
    private readonly consentHeaders: ConsentHeaders,
    private readonly limits: SendLimiter,
    private readonly outcomes: OutcomeWriter,
  ) {
    this.queries = new EntityQueries(messages);
  }

  /** Delivers one message (a job queued by an earlier version, a test). */
  async deliver(messageId: string): Promise<DeliveryOutcome> {
    const [outcome] = await this.deliverMany([messageId]);
    return outcome ?? { outcome: 'skipped', reason: 'not queued, or claimed by another worker' };
  }

  /**
   * Delivers the messages of one job: claimed in one statement, their suppressions and consent
   * read in one query each, then sent SENDS_AT_ONCE at a time over their routes' pools. Answers
   * the outcome of each message this worker claimed.
   */
  async deliverMany(messageIds: string[]): Promise<DeliveryOutcome[]> {
    const claimed = await this.claim([...new Set(messageIds)]);
    if (claimed.length === 0) return [];
    const held = await this.outcomes.persist(() => this.heldBack(claimed));
    await this.outcomes.expect(claimed);
    // Each route is read once for the batch: its messages share a program's settings as they
    // stood when the job began.
    const routes = new Map<string, Promise<MailRoute>>();
    const routeOf = (m: Message): Promise<MailRoute> => {
      const key = `${m.programId}\n${m.senderId ?? ''}\n${m.via}`;
      let route = routes.get(key);
      if (!route) {
        route = this.transports.routeFor(m.programId, m.senderId, m.via);
        // Each message awaits it and handles its failure; the map's copy must not go unhandled.
        route.catch(() => undefined);
        routes.set(key, route);
      }
      return route;
    };
    // An account without limits is read once for the batch: only a pause holds it back.
    const admit = this.limits.forBatch();
    const outcomes: DeliveryOutcome[] = [];
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const message = claimed[next++];
        outcomes.push(await this.deliverClaimed(message, routeOf, admit, held.get(message.id)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(SENDS_AT_ONCE, claimed.length) }, lane));
    return outcomes;
  }

  /**
   * Why messages of the batch must not go out, checked again at the last moment: the address was
   * suppressed, or the recipient left the category, since the message was written.
   */
  private async heldBack(messages: Message[]): Promise<Map<string, HeldBack>> {
    const held = new Map<string, HeldBack>();
    for (const [programId, ofProgram] of groupBy(messages, (m) => m.programId)) {
      const suppressed = await this.suppressions.findAll(
        programId,
        ofProgram.map((m) => m.toEmail),
      );
      const left = await this.consent.leftOf(
        programId,
        ofProgram.flatMap((m) => (m.participantId ? [m.participantId] : [])),
      );
      for (const m of ofProgram) {
        const s = suppressed.get(m.toEmail.toLowerCase());
        if (s && suppressionApplies(s, m.category))
          held.set(m.id, {
            code: 'RECIPIENT_SUPPRESSED',
            message: suppressedMessage(s),
            permanent: true,
          });
        else if (
          m.participantId &&
          m.category !== TRANSACTIONAL &&
          left.get(m.participantId)?.has(m.category)
        )
          held.set(m.id, {
            code: 'UNSUBSCRIBED',
            message: unsubscribedMessage(m.category),
            permanent: true,
          });
      }
    }
    return held;
  }

  private async deliverClaimed(
    message: Message,
    routeOf: (m: Message) => Promise<MailRoute>,
    admit: BatchAdmit,
    held?: HeldBack,
  ): Promise<DeliveryOutcome> {
    if (held) {
      await this.finish(message, 'suppressed', held);
      return { outcome: 'suppressed', code: held.code };
    }

    let route: MailRoute | undefined;
    try {
      route = await routeOf(message);
      // Before anything is rendered: a message over its account's sending limit waits for it.
      if (route.kind === 'smtp') {
        const admission = await this.admit(message, route, admit);
        if (!admission.send) return await this.waitForLimit(message, route, admission);
      }
      // One link for the header and the body's footer: the same token in both.
      const unsubscribeUrl = this.consentHeaders.unsubscribeUrl(message);
      const rendered = await this.templates.render({
        programId: message.programId,
        key: message.templateKey,
        locales: message.locales,
        data: withUnsubscribeUrl(message.templateKey, this.dataOf(message), unsubscribeUrl),
      });
      const messageIdHeader =
        message.messageId ?? `<${message.id}@${route.from.address.split('@')[1] ?? 'localhost'}>`;
      const composed = await this.transports.compose(route, {
        to: message.toName ? { address: message.toEmail, name: message.toName } : message.toEmail,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: messageIdHeader,
        // Auto-Submitted keeps vacation responders quiet (RFC 3834).
        headers: {
          'X-Entity-Ref-ID': message.id,
          'Auto-Submitted': 'auto-generated',
          // Feedback-ID always; List-Unsubscribe(-Post) on what the recipient may leave.
          ...this.consentHeaders.for(message, unsubscribeUrl),
        },
      });
      if (!(await this.keepClaim(message)))
        return { outcome: 'skipped', reason: 'its claim ran out and another worker took it' };
      const sent = await this.transports.send(route, {
        id: message.id,
        programId: message.programId,
        raw: composed.raw,
        envelope: {
          from: this.envelopeFrom(route, message, composed.envelopeFrom),
          to: [message.toEmail],
        },
      });
      // Before the message reads as sent, so that whoever sees it sent finds its copy.
      await this.keepSentCopy(route, message, composed.raw);
      await this.outcomes.record(
        message,
        {
          subject: rendered.subject,
          // A message with a credential in it keeps no body once sent, and no sealed link either.
          html: message.sensitive ? null : rendered.html,
          text: message.sensitive ? null : rendered.text,
          sealedData: null,
          locale: rendered.locale,
          messageId: messageIdHeader,
          status: 'sent',
          transport: route.kind,
          serverResponse: sent.response,
          rejected: sent.rejected.length ? sent.rejected : null,
          sentAt: new Date(),
          errorCode: null,
          errorMessage: null,
          errorPermanent: null,
          lockedUntil: null,
        },
        { outcome: 'sent', transport: route.kind, response: sent.response },
      );
      await this.fileSentCopy(route, message, composed.raw);
      return { outcome: 'sent', messageId: messageIdHeader };
    } catch (err) {
      return this.failure(message, route, err);
    }
  }

  /**
   * The envelope sender. The built-in sender's is the message's own return path (VERP), at the
   * verified domain's `bounces.` host or at INBOUND_DOMAIN, so a bounce names the message it is
   * about; the From header does not change. A program's own server keeps the From address.
   */
  private envelopeFrom(route: MailRoute, message: Message, from: string): string {
    if (route.kind !== 'builtin' || !message.returnPathTag) return from;
    const host = route.dkim ? `bounces.${route.dkim.domain}` : this.config.INBOUND_DOMAIN;
    return returnPathAddress(message.returnPathTag, host);
  }

  /** The variables to render with: the stored ones, and the sealed credentials opened. */
  private dataOf(message: Message): Record<string, unknown> {
    if (!message.sealedData) return message.data;
    const secret = JSON.parse(this.secrets.open(message.programId, message.sealedData)) as Record<
      string,
      unknown
    >;
    return { ...message.data, ...secret };
  }

  /**
   * One conditional update for the batch: only one worker can move a message to sending, and a
   * claim left by a dead worker can be taken once it expires (MESSAGE_CLAIM_MS). It returns the
   * rows claimed.
   */
  private claim(ids: string[]): Promise<Message[]> {
    const now = new Date();
    const until = new Date(now.getTime() + this.config.MESSAGE_CLAIM_MS);
    return this.queries.once(
      (q) =>
        `UPDATE ${q.table} SET ${q.col('status')} = 'sending', ${q.col('attempts')} = ${q.col('attempts')} + 1, ` +
        `${q.col('lockedUntil')} = ${q.param('lockedUntil')}, ${q.col('updatedAt')} = ${q.param('updatedAt')} ` +
        `WHERE ${q.col('id')} IN (${ids.map(() => q.param('id')).join(', ')}) AND (${q.col('status')} = 'queued' ` +
        `OR (${q.col('status')} = 'sending' AND ${q.col('lockedUntil')} < ${q.param('lockedUntil')})) ` +
        `RETURNING ${q.all}`,
      [until, now, ...ids, now],
    );
  }

  /**
   * A message that waited for others of its batch must still hold enough of its claim for a send
   * that meets every SMTP timeout; otherwise the claim is extended, unless another worker has
   * taken it meanwhile (false: leave it to that worker).
   */
  private async keepClaim(message: Message): Promise<boolean> {
    const held = message.lockedUntil;
    if (!held || held.getTime() - Date.now() > MIN_MESSAGE_CLAIM_MS) return true;
    const until = new Date(Date.now() + this.config.MESSAGE_CLAIM_MS);
    const kept = await this.outcomes.persist(() =>
      this.queries.update(
        { lockedUntil: until },
        { id: message.id, status: 'sending', lockedUntil: held },
      ),
    );
    if (kept) message.lockedUntil = until;
    return kept > 0;
  }

  // A copy for the message log (KEEP_SENT_MESSAGES); never of a message holding one-time links.
  private async keepSentCopy(route: MailRoute, message: Message, raw: Buffer): Promise<void> {
    if (message.sensitive) return;
    try {
      await this.transports.keepSentCopy(route, message.programId, message.id, raw);
    } catch (err) {
      // The email went out; only the log's copy of it is missing.
      this.logger.warn({ err, messageId: message.id }, 'could not keep a copy of a sent message');
    }
  }

  private async fileSentCopy(route: MailRoute, message: Message, raw: Buffer): Promise<void> {
    try {
      if (!(await this.transports.fileSentCopy(route, raw))) return;
      await this.outcomes.appendLog(message, {
        at: new Date().toISOString(),
        outcome: 'sent',
        transport: 'smtp',
        message: 'Copy saved to the Sent folder.',
      });
    } catch (err) {
      // The email went out; a missing Sent copy is reported, not retried as a send.
      const e = errorOf(err);
      this.logger.warn(
        { messageId: message.id, code: e.code },
        'could not save a copy to the Sent folder',
      );
      await this.outcomes.appendLog(message, {
        at: new Date().toISOString(),
        outcome: 'sent',
        code: e.code,
        message: `The email was sent, but no copy was saved to the Sent folder: ${e.message}`,
      });
    }
  }

  private async failure(
    message: Message,
    route: MailRoute | undefined,
    err: unknown,
  ): Promise<DeliveryOutcome> {
    if (isAccountWaiting(err)) return this.waitForAccount(message, route, err);
    const e = errorOf(err);
    const transport = route?.kind ?? null;
    const smtp = err instanceof SmtpError ? err : undefined;
    if (smtp?.code === 'SMTP_QUOTA_EXCEEDED' && route?.kind === 'smtp')
      return this.quotaReply(message, route, smtp);
    const rejected = smtp?.rejected?.find(
      (r) => r.address.toLowerCase() === message.toEmail.toLowerCase(),
    );
    if (rejected?.suppress) {
      await this.suppressions.add(
        message.programId,
        message.toEmail,
        'rejected',
        rejected.message,
        { code: rejected.code, messageId: message.id },
      );
      await this.finish(
        message,
        'suppressed',
        { code: rejected.code, message: rejected.message, permanent: true },
        transport,
      );
      return { outcome: 'suppressed', code: rejected.code };
    }
    if (smtp?.integrationFailing && route) {
      await this.transports.routeFailed(message.programId, route, {
        code: e.code,
        message: e.message,
      });
    }
    const permanent = rejected ? rejected.permanent : e.permanent;
    if (permanent || message.attempts >= this.config.JOB_ATTEMPTS) {
      const why = permanent
        ? e.message
        : `${e.message} Gave up after ${message.attempts} attempts.`;
      await this.finish(message, 'failed', { code: e.code, message: why, permanent }, transport);
      this.logger.warn({ messageId: message.id, code: e.code, permanent }, 'message failed');
      return { outcome: 'failed', code: e.code };
    }
    const delayMs = backoffDelay(this.config.JOB_BACKOFF_MS, message.attempts, Math.random);
    await this.outcomes.record(
      message,
      {
        status: 'queued',
        transport,
        errorCode: e.code,
        errorMessage: e.message,
        errorPermanent: false,
        lockedUntil: new Date(Date.now() + delayMs + this.config.MESSAGE_STALE_MS),
      },
      { outcome: 'retry', transport: transport ?? undefined, code: e.code, message: e.message },
    );
    await this.outbox.dispatch([message.id], delayMs);
    return { outcome: 'retry', code: e.code, delayMs };
  }

  /** Whether the route's account may send now; a message that waited holds the send it waited for. */
  private admit(message: Message, route: SmtpRoute, batch: BatchAdmit): Promise<Admission> {
    const held =
      message.notBefore && message.limitKey
        ? { key: message.limitKey, at: message.notBefore }
        : null;
    return this.outcomes.persist(() =>
      batch({ key: route.transportKey, limits: route.limits }, held),
    );
  }

  /** Over its account's limit: queued again until its reserved send, not counted as an attempt. */
  private async waitForLimit(
    message: Message,
    route: SmtpRoute,
    admission: Extract<Admission, { send: false }>,
  ): Promise<DeliveryOutcome> {
    const at = admission.notBefore.toISOString();
    const { perMinute, perDay } = route.limits;
    const why =
      admission.reason === 'perMinute'
        ? `This account may send ${perMinute} messages a minute; this one waits until ${at}.`
        : admission.reason === 'perDay'
          ? `This account may send ${perDay} messages a day; this one waits until ${at}.`
          : admission.reason === 'paused'
            ? `Sending from this account is paused after the server's quota reply; this one waits until ${at}.`
            : `This message waits for the send reserved for it at ${at}.`;
    this.logger.info(
      {
        messageId: message.id,
        account: route.transportKey,
        notBefore: at,
        reason: admission.reason,
      },
      'message waits for its sending limit',
    );
    return this.requeueAt(message, route, admission.notBefore, {
      outcome: 'waiting',
      code: admission.reason === 'paused' ? 'SENDING_PAUSED' : 'SEND_LIMIT_REACHED',
      message: why,
    });
  }

  /**
   * The server said the account is over its quota: the account pauses until that window ends
   * (other accounts keep sending), and the message waits for a send after it, not failed and
   * not counted as an attempt.
   */
  private async quotaReply(
    message: Message,
    route: SmtpRoute,
    err: SmtpError,
  ): Promise<DeliveryOutcome> {
    const account = { key: route.transportKey, limits: route.limits };
    const resumesAt = await this.outcomes.persist(() =>
      this.limits.pause(account.key, err.quotaWindow ?? 'minute'),
    );
    const admission = await this.outcomes.persist(() => this.limits.admit(account, null));
    const notBefore = admission.send ? resumesAt : admission.notBefore;
    const why = `${err.message} Sending from this account resumes at ${resumesAt.toISOString()}.`;
    this.logger.warn(
      {
        messageId: message.id,
        programId: message.programId,
        account: account.key,
        code: err.code,
        resumesAt: resumesAt.toISOString(),
      },
      'sending paused: the server reported a sending quota',
    );
    return this.requeueAt(
      message,
      route,
      notBefore,
      { outcome: 'retry', transport: 'smtp', code: err.code, message: why },
      { errorCode: err.code, errorMessage: why, errorPermanent: false },
    );
  }

  private async requeueAt(
    message: Message,
    route: SmtpRoute,
    notBefore: Date,
    attempt: Omit<MessageAttempt, 'at'>,
    error: Partial<Message> = {},
  ): Promise<DeliveryOutcome> {
    await this.outcomes.record(
      message,
      {
        status: 'queued',
        attempts: Math.max(0, message.attempts - 1),
        notBefore,
        limitKey: route.transportKey,
        // The sweeper leaves it alone until well after its time.
        lockedUntil: new Date(notBefore.getTime() + this.config.MESSAGE_STALE_MS),
        ...error,
      },
      attempt,
    );
    await this.outbox.dispatch([message.id], Math.max(0, notBefore.getTime() - Date.now()));
    return { outcome: 'waiting', notBefore: notBefore.toISOString() };
  }

  private async finish(
    message: Message,
    status: 'failed' | 'suppressed',
    error: { code: string; message: string; permanent: boolean },
    transport: Message['transport'] = null,
  ): Promise<void> {
    await this.outcomes.record(
      message,
      {
        status,
        transport,
        errorCode: error.code,
        errorMessage: error.message,
        errorPermanent: error.permanent,
        lockedUntil: null,
      },
      {
        outcome: status,
        transport: transport ?? undefined,
        code: error.code,
        message: error.message,
      },
    );
  }

  /**
   * The route's account needs a person (its OAuth sign-in was revoked): the message waits,
   * queued, neither failed nor sent another way, and is not counted as an attempt. Connecting the
   * account again queues it at once; until then the sweeper looks again now and then.
   */
  private async waitForAccount(
    message: Message,
    route: MailRoute | undefined,
    err: AccountWaitingError,
  ): Promise<DeliveryOutcome> {
    const notBefore = new Date(Date.now() + ACCOUNT_WAIT_RECHECK_MS);
    // One line in its log for the whole wait, however often it is looked at again.
    const logged = message.errorCode === err.reason;
    await this.outcomes.record(
      message,
      {
        status: 'queued',
        transport: route?.kind ?? null,
        attempts: Math.max(0, message.attempts - 1),
        errorCode: err.reason,
        errorMessage: err.message,
        errorPermanent: false,
        lockedUntil: notBefore,
      },
      logged ? null : { outcome: 'waiting', code: err.reason, message: err.message },
    );
    return { outcome: 'waiting', notBefore: notBefore.toISOString() };
  }
}
