import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { In, IsNull, LessThan, LessThanOrEqual, Repository } from 'typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { AppConfig } from '../config/app.config';
import { ProgramAlerts } from '../notifications/program-alerts';
import { Program } from '../programs/program.entity';
import { backoffDelay } from '../queue/job-options';
import { WebhookAttempt, WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvents } from './webhook-events';
import { postWebhook, type WebhookResponse } from './webhook-sender';
import { checkWebhookUrl, WebhookUrlError } from './webhook-url';

/** What one job did with its delivery. */
export type WebhookOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped';

// The job's claim outlasts the receiver's deadline by this much.
const CLAIM_MARGIN_MS = 30_000;
const LOG_LIMIT = 20;

/** The signature header value: one `v1,` signature per secret in use (two while rotating). */
export function signatures(secrets: string[], id: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' ');
}

/**
 * Sends webhook deliveries: claims the row, signs the body with the endpoint's secret(s), POSTs
 * it to the checked address, and records the answer. A failure waits with exponential backoff
 * until the row's `giveUpAt`; an endpoint that has not succeeded once in the retry window is
 * disabled, and the program is told.
 */
@Injectable()
export class WebhookDeliveries {
  constructor(
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    private readonly events: WebhookEvents,
    private readonly secrets: IntegrationSecrets,
    private readonly alerts: ProgramAlerts,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async deliver(id: string): Promise<WebhookOutcome> {
    const now = new Date();
    // A job that fires a moment before the due time still counts as due.
    const claimed = await this.deliveries.update(
      {
        id,
        status: 'pending',
        nextAttemptAt: LessThanOrEqual(new Date(now.getTime() + 1000)),
      },
      {
        status: 'delivering',
        lockedUntil: new Date(now.getTime() + this.config.WEBHOOK_TIMEOUT_MS + CLAIM_MARGIN_MS),
        updatedAt: now,
      },
    );
    // Sent already, taken by another job, or not due yet: nothing for this one to do.
    if (!claimed.affected) return 'skipped';
    const delivery = await this.deliveries.findOneByOrFail({ id });
    const endpoint = await this.endpoints.findOneBy({ id: delivery.endpointId });
    if (!endpoint || endpoint.status !== 'enabled') {
      await this.record(
        delivery,
        endpoint,
        {
          statusCode: null,
          responseExcerpt: null,
          error: endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted',
          durationMs: 0,
        },
        true,
      );
      return 'failed';
    }
    const response = await this.send(endpoint, delivery);
    return this.record(delivery, endpoint, response, false);
  }

  private async send(
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
  ): Promise<WebhookResponse> {
    let target;
    try {
      // Checked again at every attempt: a name may since point somewhere it must not.
      target = await checkWebhookUrl(endpoint.url, {
        allowPrivateHosts: this.config.WEBHOOK_ALLOW_PRIVATE_HOSTS,
      });
    } catch (err) {
      if (!(err instanceof WebhookUrlError)) throw err;
      return { statusCode: null, responseExcerpt: null, error: err.message, durationMs: 0 };
    }
    const at = new Date();
    const secrets = [this.secrets.open(endpoint.programId, endpoint.sealedSecret)];
    if (
      endpoint.sealedPreviousSecret &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt > at
    )
      secrets.push(this.secrets.open(endpoint.programId, endpoint.sealedPreviousSecret));
    return postWebhook(
      target,
      {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signatures(secrets, delivery.id, at, delivery.payload),
      },
      delivery.payload,
      this.config.WEBHOOK_TIMEOUT_MS,
    );
  }

  private async record(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | null,
    response: WebhookResponse,
    stop: boolean,
  ): Promise<WebhookOutcome> {
    const now = new Date();
    const ok =
      response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
    const attempt: WebhookAttempt = { at: now.toISOString(), ...response };
    const attempts = delivery.attempts + 1;
    const attemptLog = [...delivery.attemptLog, attempt].slice(-LOG_LIMIT);
    const base = {
      attempts,
      attemptLog,
      lastStatusCode: response.statusCode,
      lastError: ok ? null : (response.error ?? `HTTP ${response.statusCode}`),
      lockedUntil: null,
      updatedAt: now,
    };
    let outcome: WebhookOutcome;
    if (ok) {
      outcome = 'delivered';
      await this.deliveries.update(
        { id: delivery.id },
        { ...base, status: 'delivered', deliveredAt: now, nextAttemptAt: null },
      );
    } else {
      const delay = backoffDelay(this.config.WEBHOOK_BACKOFF_MS, attempts, Math.random);
      const next = new Date(now.getTime() + delay);
      outcome = stop || next > delivery.giveUpAt ? 'failed' : 'retrying';
      await this.deliveries.update(
        { id: delivery.id },
        outcome === 'failed'
          ? { ...base, status: 'failed', nextAttemptAt: null }
          : { ...base, status: 'pending', nextAttemptAt: next },
      );
      if (outcome === 'retrying') await this.events.dispatch([delivery.id], delay);
    }
    if (endpoint && !stop) await this.trackEndpoint(endpoint, ok, now);
    this.logger.info(
      {
        webhookDeliveryId: delivery.id,
        endpointId: delivery.endpointId,
        event: delivery.eventType,
        statusCode: response.statusCode,
        outcome,
        attempt: attempts,
      },
      'webhook attempt',
    );
    return outcome;
  }

  /** An endpoint's run of failures: cleared by a success, and disabling it once it lasts the window. */
  private async trackEndpoint(endpoint: WebhookEndpoint, ok: boolean, now: Date): Promise<void> {
    if (ok) {
      if (endpoint.failingSince)
        await this.endpoints.update({ id: endpoint.id }, { failingSince: null, updatedAt: now });
      return;
    }
    if (!endpoint.failingSince) {
      await this.endpoints.update(
        { id: endpoint.id, failingSince: IsNull() },
        { failingSince: now, updatedAt: now },
      );
      return;
    }
    if (now.getTime() - endpoint.failingSince.getTime() < this.config.WEBHOOK_RETRY_WINDOW_MS)
      return;
    const reason = `Every delivery failed since ${endpoint.failingSince.toISOString()}.`;
    const disabled = await this.endpoints.update(
      { id: endpoint.id, status: 'enabled' },
      { status: 'disabled', disabledReason: reason, updatedAt: now },
    );
    // Only the process that disabled it tells the program.
    if (!disabled.affected) return;
    const program = await this.endpoints.manager.getRepository(Program).findOneBy({
      id: endpoint.programId,
    });
    if (program)
      await this.alerts.send(
        undefined,
        program,
        {
          kind: 'webhook-endpoint-disabled',
          detail: endpoint.url,
          consolePath: '/console',
        },
        `webhook-disabled:${endpoint.id}:${now.toISOString()}`,
      );
  }

  /**
   * Queues again deliveries whose job was lost: pending ones well past their due time, and ones
   * left `delivering` by a worker that died.
   */
  async sweep(limit = 500): Promise<number> {
    const now = new Date();
    const overdue = new Date(now.getTime() - this.config.MESSAGE_STALE_MS);
    const stale = await this.deliveries.find({
      where: [
        { status: 'pending', nextAttemptAt: LessThan(overdue), lockedUntil: IsNull() },
        { status: 'pending', nextAttemptAt: LessThan(now), lockedUntil: LessThan(now) },
        { status: 'delivering', lockedUntil: LessThan(now) },
      ],
      select: { id: true },
      take: limit,
      order: { nextAttemptAt: 'ASC' },
    });
    if (stale.length === 0) return 0;
    const ids = stale.map((d) => d.id);
    // Each is queued once per period, not once per sweep while a long queue works through it.
    await this.deliveries.update(
      { id: In(ids), status: In(['pending', 'delivering']) },
      {
        status: 'pending',
        nextAttemptAt: now,
        lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
      },
    );
    await this.events.dispatch(ids);
    return ids.length;
  }
}
