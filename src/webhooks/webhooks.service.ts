import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { IntegrationSecrets } from '../common/crypto/integration-secrets';
import { AppError } from '../common/errors/app-error';
import { AppConfig } from '../config/app.config';
import type {
  CreateWebhookDto,
  ListWebhookDeliveriesQuery,
  RotateWebhookSecretDto,
  UpdateWebhookDto,
  WebhookCreatedResponse,
  WebhookDeliveryResponse,
  WebhookResponse,
  WebhookSecretResponse,
} from './dto/webhook.dto';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvents } from './webhook-events';
import { checkWebhookUrl, WebhookUrlError } from './webhook-url';

const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function toView(e: WebhookEndpoint): WebhookResponse {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    status: e.status,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince,
    previousSecretExpiresAt:
      e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date()
        ? e.previousSecretExpiresAt
        : null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function deliveryView(d: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: d.id,
    endpointId: d.endpointId,
    event: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    giveUpAt: d.giveUpAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    request: JSON.parse(d.payload) as Record<string, unknown>,
    attemptLog: d.attemptLog,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
  };
}

/** A program's webhook endpoints: create, read, change, rotate the secret, delete; their delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    private readonly secrets: IntegrationSecrets,
    private readonly events: WebhookEvents,
    private readonly config: AppConfig,
  ) {}

  private async checkUrl(url: string): Promise<void> {
    try {
      await checkWebhookUrl(url, { allowPrivateHosts: this.config.WEBHOOK_ALLOW_PRIVATE_HOSTS });
    } catch (err) {
      if (!(err instanceof WebhookUrlError)) throw err;
      if (err.code === 'WEBHOOK_URL_INVALID') throw AppError.badRequest(err.code, err.message);
      throw AppError.unprocessable(err.code, err.message);
    }
  }

  async create(programId: string, dto: CreateWebhookDto): Promise<WebhookCreatedResponse> {
    await this.checkUrl(dto.url);
    const secret = newWebhookSecret();
    const now = new Date();
    const row: WebhookEndpoint = {
      id: randomUUID(),
      programId,
      url: dto.url,
      description: dto.description ?? null,
      events: [...new Set(dto.events)],
      sealedSecret: this.secrets.seal(programId, secret),
      sealedPreviousSecret: null,
      previousSecretExpiresAt: null,
      status: 'enabled',
      disabledReason: null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.endpoints.insert(row);
    return { ...toView(row), secret };
  }

  async list(programId: string): Promise<{ items: WebhookResponse[] }> {
    const rows = await this.endpoints.find({ where: { programId }, order: { createdAt: 'ASC' } });
    return { items: rows.map(toView) };
  }

  private async find(programId: string, id: string): Promise<WebhookEndpoint> {
    const row = await this.endpoints.findOneBy({ id, programId });
    if (!row)
      throw new AppError(
        HttpStatus.NOT_FOUND,
        'WEBHOOK_NOT_FOUND',
        `Webhook endpoint ${JSON.stringify(id)} was not found.`,
      );
    return row;
  }

  /** The ids of the program's endpoints: what a rule's webhook action may name. */
  async endpointIds(programId: string): Promise<string[]> {
    const rows = await this.endpoints.find({ where: { programId }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async get(programId: string, id: string): Promise<WebhookResponse> {
    return toView(await this.find(programId, id));
  }

  async update(programId: string, id: string, dto: UpdateWebhookDto): Promise<WebhookResponse> {
    const row = await this.find(programId, id);
    if (dto.url !== undefined && dto.url !== row.url) await this.checkUrl(dto.url);
    const changes: Partial<WebhookEndpoint> = { updatedAt: new Date() };
    if (dto.url !== undefined) changes.url = dto.url;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.events !== undefined) changes.events = [...new Set(dto.events)];
    if (dto.status !== undefined && dto.status !== row.status) {
      changes.status = dto.status;
      // Enabled again by hand: the run of failures starts over.
      changes.disabledReason = dto.status === 'disabled' ? 'Disabled through the API.' : null;
      changes.failingSince = null;
    }
    await this.endpoints.update({ id, programId }, changes);
    return toView({ ...row, ...changes });
  }

  async remove(programId: string, id: string): Promise<void> {
    await this.find(programId, id);
    await this.endpoints.manager.transaction(async (m) => {
      await m.delete(WebhookDelivery, { endpointId: id, programId });
      await m.delete(WebhookEndpoint, { id, programId });
    });
  }

  /**
   * A new secret, shown once. Until the overlap ends every request carries a signature with the
   * old secret too, so a receiver can switch at its own pace.
   */
  async rotateSecret(
    programId: string,
    id: string,
    dto: RotateWebhookSecretDto,
  ): Promise<WebhookSecretResponse> {
    const row = await this.find(programId, id);
    const secret = newWebhookSecret();
    const now = new Date();
    const overlap = dto.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const expires = overlap > 0 ? new Date(now.getTime() + overlap * 1000) : null;
    await this.endpoints.update(
      { id, programId },
      {
        sealedSecret: this.secrets.seal(programId, secret),
        sealedPreviousSecret: expires ? row.sealedSecret : null,
        previousSecretExpiresAt: expires,
        updatedAt: now,
      },
    );
    return { id, secret, previousSecretExpiresAt: expires };
  }

  async deliveriesOf(
    programId: string,
    id: string,
    query: ListWebhookDeliveriesQuery,
  ): Promise<{ items: WebhookDeliveryResponse[] }> {
    await this.find(programId, id);
    const rows = await this.deliveries.find({
      where: {
        endpointId: id,
        programId,
        ...(query.status ? { status: query.status } : {}),
        ...(query.event ? { eventType: query.event } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: query.limit ?? 50,
    });
    return { items: rows.map(deliveryView) };
  }

  /** A failed delivery (or one still waiting) sent again now, with a new retry window. */
  async retry(programId: string, id: string, deliveryId: string): Promise<WebhookDeliveryResponse> {
    await this.find(programId, id);
    const now = new Date();
    const res = await this.deliveries.update(
      { id: deliveryId, endpointId: id, programId, status: In(['failed', 'pending']) },
      {
        status: 'pending',
        nextAttemptAt: now,
        lockedUntil: new Date(now.getTime() + this.config.MESSAGE_STALE_MS),
        giveUpAt: new Date(now.getTime() + this.config.WEBHOOK_RETRY_WINDOW_MS),
        updatedAt: now,
      },
    );
    if (!res.affected) {
      const exists = await this.deliveries.findOneBy({ id: deliveryId, endpointId: id, programId });
      if (!exists)
        throw new AppError(
          HttpStatus.NOT_FOUND,
          'WEBHOOK_DELIVERY_NOT_FOUND',
          `Delivery ${JSON.stringify(deliveryId)} of this endpoint was not found.`,
        );
      throw AppError.conflict(
        'WEBHOOK_DELIVERY_NOT_RETRYABLE',
        `Delivery ${deliveryId} is ${exists.status}; only a failed or waiting delivery can be sent again.`,
      );
    }
    await this.events.dispatch([deliveryId]);
    return deliveryView(await this.deliveries.findOneByOrFail({ id: deliveryId }));
  }
}
