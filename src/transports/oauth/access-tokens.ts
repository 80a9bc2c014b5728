import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { SingleFlight } from '../../common/async/single-flight';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { InboundMailbox } from '../../inbound/mailbox/inbound-mailbox.entity';
import { ProgramAlerts } from '../../notifications/program-alerts';
import { Program } from '../../programs/program.entity';
import { AccountWaitingError } from '../accounts/account-waiting';
import { SenderIdentity } from '../accounts/sender-identity.entity';
import { SmtpIntegration } from '../accounts/smtp-integration.entity';
import type { XOAuth2Login } from '../smtp/xoauth2';
import { OAuthGrant, type OAuthGrantOwner } from './oauth-grant.entity';
import { OAuthTokenError } from './oauth-errors';
import { OAuthProviders, providerLabel, type OAuthProviderName } from './oauth-providers';
import { requestTokens, TokenEndpointError, type TokenSet } from './token-endpoint';

// How long one process may hold a refresh before another takes it over: more than a token
// request may take (its timeout is 15 s).
const REFRESH_CLAIM_MS = 30_000;
const CLAIM_POLL_MS = 100;
// Tokens kept in memory, one per account; the oldest go first past this.
const MEMORY_ENTRIES = 10_000;

/**
 * When a token is renewed: a minute before it expires, or a quarter of its lifetime before for
 * tokens that live less than four minutes, so a send never starts with a token about to lapse.
 */
export function freshUntil(obtainedAt: number, expiresAt: number): number {
  const lifetime = Math.max(expiresAt - obtainedAt, 0);
  return expiresAt - Math.min(60_000, lifetime / 4);
}

/** A new grant as the token endpoint gave it, to store for an account. */
export interface NewGrant {
  programId: string;
  owner: OAuthGrantOwner;
  provider: OAuthProviderName;
  email: string;
  scope: string;
  tokenUrl: string;
  tokens: TokenSet & { refreshToken: string };
}

interface Remembered {
  token: string;
  freshUntil: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Access tokens of the accounts that log in with OAuth. Each is kept until shortly before it
 * expires, in memory and (sealed) in its grant's row, so every process shares it; a refresh runs
 * once at a time per process (single flight) and across processes (a claim on the row), and the
 * others wait for its result. A refresh answered `invalid_grant` marks the account
 * `reauthorization_required`, tells the program's alert address once, and mail for it waits.
 */
@Injectable()
export class AccessTokens {
  private readonly flights = new SingleFlight<string>();
  private readonly memory = new Map<string, Remembered>();

  constructor(
    @InjectRepository(OAuthGrant) private readonly grants: Repository<OAuthGrant>,
    private readonly secrets: IntegrationSecrets,
    private readonly providers: OAuthProviders,
    private readonly alerts: ProgramAlerts,
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  find(programId: string, owner: OAuthGrantOwner): Promise<OAuthGrant | null> {
    return this.grants.findOneBy({ programId, owner });
  }

  /**
   * The XOAUTH2 login of an account. `generation` changes whenever the account is saved again
   * (its row's version), so a reconnected account never uses what was kept for the old grant.
   */
  login(programId: string, owner: OAuthGrantOwner, generation: string | number): XOAuth2Login {
    const key = `${programId}\n${owner}\n${generation}`;
    return {
      key: `${owner}:${generation}`,
      accessToken: (rejected?: string) => this.accessToken(key, programId, owner, rejected),
    };
  }

  /** Stores a grant for an account, in the caller's transaction; it replaces the one before. */
  async save(manager: EntityManager, grant: NewGrant): Promise<OAuthGrant> {
    const now = new Date();
    const row = manager.create(OAuthGrant, {
      id: randomUUID(),
      programId: grant.programId,
      owner: grant.owner,
      provider: grant.provider,
      email: grant.email,
      scope: grant.scope,
      tokenUrl: grant.tokenUrl,
      refreshTokenSealed: this.secrets.seal(grant.programId, grant.tokens.refreshToken),
      accessTokenSealed: this.secrets.seal(grant.programId, grant.tokens.accessToken),
      accessTokenExpiresAt: grant.tokens.expiresAt,
      tokenVersion: 1,
      refreshClaimUntil: null,
      status: 'active',
      lastErrorCode: null,
      lastErrorMessage: null,
      refreshedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await manager.delete(OAuthGrant, { programId: grant.programId, owner: grant.owner });
    await manager.insert(OAuthGrant, row);
    return row;
  }

  /**
   * Forgets accounts' grants (disconnected, removed, or back to a password); `sending` is the
   * integration's and every sender's.
   */
  async remove(
    programId: string,
    owners: OAuthGrantOwner[] | 'sending',
    manager: EntityManager = this.grants.manager,
  ): Promise<void> {
    if (owners === 'sending') {
      await manager
        .createQueryBuilder()
        .delete()
        .from(OAuthGrant)
        .where('"programId" = :programId AND ("owner" = :integration OR "owner" LIKE :senders)', {
          programId,
          integration: 'integration',
          senders: 'sender:%',
        })
        .execute();
      return;
    }
    for (const owner of owners) await manager.delete(OAuthGrant, { programId, owner });
  }

  private async accessToken(
    key: string,
    programId: string,
    owner: OAuthGrantOwner,
    rejected?: string,
  ): Promise<string> {
    const kept = this.memory.get(key);
    if (kept && kept.token !== rejected && kept.freshUntil > Date.now()) return kept.token;
    // Callers that ask at once share one read (and at most one refresh).
    let token = await this.flights.run(key, () => this.obtain(key, programId, owner, rejected));
    // Joined a flight that started before the server refused this token: ask again.
    if (rejected && token === rejected)
      token = await this.flights.run(key, () => this.obtain(key, programId, owner, rejected));
    return token;
  }

  private async obtain(
    key: string,
    programId: string,
    owner: OAuthGrantOwner,
    rejected?: string,
  ): Promise<string> {
    const giveUpAt = Date.now() + REFRESH_CLAIM_MS + 5_000;
    for (;;) {
      const grant = await this.find(programId, owner);
      if (!grant) throw notConnected(owner);
      if (grant.status !== 'active') throw reauthorizationRequired(grant);
      const provider = this.providers.get(grant.provider);
      if (!provider) {
        throw new OAuthTokenError(
          'OAUTH_PROVIDER_NOT_CONFIGURED',
          `${providerLabel(grant.provider)} sign-in is not configured on this service any more (OAUTH_${grant.provider.toUpperCase()}_CLIENT_ID), so ${grant.email} cannot log in; the operator must configure it again.`,
          false,
        );
      }
      if (grant.tokenUrl !== provider.tokenUrl) {
        // The refresh token goes only to the endpoint that issued it.
        await this.revoke(
          grant,
          'OAUTH_TOKEN_ENDPOINT_CHANGED',
          `The token endpoint of ${provider.label} changed since ${grant.email} was connected, so its sign-in is not sent to the new one.`,
        );
        throw reauthorizationRequired(grant);
      }
      const current = this.current(grant);
      if (current && current.token !== rejected && current.freshUntil > Date.now()) {
        this.remember(key, current);
        return current.token;
      }
      if (await this.claim(grant)) return this.refresh(key, grant);
      if (Date.now() > giveUpAt) {
        throw new OAuthTokenError(
          'OAUTH_TOKEN_REFRESH_FAILED',
          `The access token of ${grant.email} is being renewed by another process that has not finished; it will be tried again.`,
          false,
        );
      }
      // Another process refreshes it: its result shows as a new token version.
      await sleep(CLAIM_POLL_MS);
    }
  }

  private current(grant: OAuthGrant): Remembered | undefined {
    if (!grant.accessTokenSealed || !grant.accessTokenExpiresAt) return undefined;
    const obtainedAt = (grant.refreshedAt ?? grant.updatedAt).getTime();
    return {
      token: this.secrets.open(grant.programId, grant.accessTokenSealed),
      freshUntil: freshUntil(obtainedAt, grant.accessTokenExpiresAt.getTime()),
    };
  }

  private remember(key: string, value: Remembered): void {
    this.memory.delete(key);
    this.memory.set(key, value);
    if (this.memory.size > MEMORY_ENTRIES) {
      const oldest = this.memory.keys().next().value;
      if (oldest !== undefined) this.memory.delete(oldest);
    }
  }

  /** Takes the row's refresh for this process: only when nobody holds it and nobody refreshed since. */
  private async claim(grant: OAuthGrant): Promise<boolean> {
    const now = new Date();
    const result = await this.grants
      .createQueryBuilder()
      .update()
      .set({ refreshClaimUntil: new Date(now.getTime() + REFRESH_CLAIM_MS), updatedAt: now })
      .where(
        'id = :id AND "tokenVersion" = :version AND status = :active AND ("refreshClaimUntil" IS NULL OR "refreshClaimUntil" < :now)',
        { id: grant.id, version: grant.tokenVersion, active: 'active', now },
      )
      .execute();
    return Boolean(result.affected);
  }

  private async refresh(key: string, grant: OAuthGrant): Promise<string> {
    const provider = this.providers.get(grant.provider);
    if (!provider) throw new Error(`provider ${grant.provider} vanished during a refresh`);
    let tokens: TokenSet;
    try {
      tokens = await requestTokens(provider, {
        grant_type: 'refresh_token',
        refresh_token: this.secrets.open(grant.programId, grant.refreshTokenSealed),
        scope: grant.scope,
      });
    } catch (err) {
      if (err instanceof TokenEndpointError && err.code === 'OAUTH_GRANT_INVALID') {
        await this.revoke(grant, 'OAUTH_REAUTHORIZATION_REQUIRED', err.message);
        throw reauthorizationRequired(grant);
      }
      const message =
        err instanceof TokenEndpointError
          ? err.message
          : `Renewing the access token of ${grant.email} failed; it will be tried again.`;
      await this.grants.update(
        { id: grant.id, tokenVersion: grant.tokenVersion },
        {
          refreshClaimUntil: null,
          lastErrorCode:
            err instanceof TokenEndpointError ? err.code : 'OAUTH_TOKEN_REFRESH_FAILED',
          lastErrorMessage: message,
          updatedAt: new Date(),
        },
      );
      this.logger.warn(
        {
          programId: grant.programId,
          owner: grant.owner,
          provider: grant.provider,
          code: (err as { code?: string }).code,
        },
        'oauth access token refresh failed',
      );
      throw new OAuthTokenError(
        err instanceof TokenEndpointError && err.code === 'OAUTH_CLIENT_REJECTED'
          ? 'OAUTH_CLIENT_REJECTED'
          : 'OAUTH_TOKEN_REFRESH_FAILED',
        message,
        false,
      );
    }
    const now = new Date();
    await this.grants.update(
      { id: grant.id, tokenVersion: grant.tokenVersion },
      {
        accessTokenSealed: this.secrets.seal(grant.programId, tokens.accessToken),
        accessTokenExpiresAt: tokens.expiresAt,
        // Providers that rotate refresh tokens send a new one; the old one stops working.
        ...(tokens.refreshToken
          ? { refreshTokenSealed: this.secrets.seal(grant.programId, tokens.refreshToken) }
          : {}),
        tokenVersion: grant.tokenVersion + 1,
        refreshClaimUntil: null,
        refreshedAt: now,
        lastErrorCode: null,
        lastErrorMessage: null,
        updatedAt: now,
      },
    );
    this.remember(key, {
      token: tokens.accessToken,
      freshUntil: freshUntil(now.getTime(), tokens.expiresAt.getTime()),
    });
    this.logger.info(
      { programId: grant.programId, owner: grant.owner, provider: grant.provider },
      'oauth access token refreshed',
    );
    return tokens.accessToken;
  }

  /**
   * The grant no longer works: the account shows `reauthorization_required` and the program's
   * alert address is told, once per grant, by whichever process saw it first.
   */
  private async revoke(grant: OAuthGrant, code: string, why: string): Promise<void> {
    const message = `${reauthorizationRequired(grant).message} ${why}`;
    const now = new Date();
    const alerted = await this.dataSource.transaction(async (manager) => {
      const flipped = await manager
        .createQueryBuilder()
        .update(OAuthGrant)
        .set({
          status: 'revoked',
          accessTokenSealed: null,
          accessTokenExpiresAt: null,
          refreshClaimUntil: null,
          lastErrorCode: code.slice(0, 64),
          lastErrorMessage: why.slice(0, 2000),
          updatedAt: now,
        })
        .where('id = :id AND status = :active', { id: grant.id, active: 'active' })
        .execute();
      if (!flipped.affected) return false;
      await this.ownerNeedsReauthorization(manager, grant, message, now);
      const program = await manager.findOneBy(Program, { id: grant.programId });
      if (program) {
        await this.alerts.send(
          manager,
          program,
          {
            kind: 'oauth-reauthorization-required',
            detail: `${grant.email} (${providerLabel(grant.provider)})`,
            consolePath: '/console/integrations',
          },
          `oauth-reauthorization:${grant.id}`,
        );
      }
      return true;
    });
    if (alerted) {
      this.logger.warn(
        { programId: grant.programId, owner: grant.owner, provider: grant.provider, code },
        'oauth sign-in needs reauthorization; mail for the account waits',
      );
    }
  }

  private async ownerNeedsReauthorization(
    manager: EntityManager,
    grant: OAuthGrant,
    message: string,
    now: Date,
  ): Promise<void> {
    const set = {
      status: 'reauthorization_required' as const,
      lastErrorCode: 'OAUTH_REAUTHORIZATION_REQUIRED',
      lastErrorMessage: message.slice(0, 2000),
      lastErrorAt: now,
      version: () => '"version" + 1',
      updatedAt: now,
    };
    const { programId, owner } = grant;
    if (owner === 'integration') {
      await manager
        .createQueryBuilder()
        .update(SmtpIntegration)
        .set(set)
        .where({ programId, authType: 'oauth2' })
        .execute();
    } else if (owner === 'inbound-mailbox') {
      await manager
        .createQueryBuilder()
        .update(InboundMailbox)
        .set({ ...set, retryAt: null })
        .where({ programId, authType: 'oauth2' })
        .execute();
    } else {
      await manager
        .createQueryBuilder()
        .update(SenderIdentity)
        .set(set)
        .where({ programId, senderId: owner.slice('sender:'.length), authType: 'oauth2' })
        .execute();
    }
  }
}

/** Mail for an account whose sign-in no longer works waits until it is connected again. */
export function reauthorizationRequired(
  grant: Pick<OAuthGrant, 'provider' | 'email'>,
): AccountWaitingError {
  const label = providerLabel(grant.provider);
  return new AccountWaitingError(
    'OAUTH_REAUTHORIZATION_REQUIRED',
    `The ${label} sign-in of ${grant.email} is no longer valid (revoked, expired, the password changed or consent was withdrawn), so nothing is sent through it and nothing from another address instead: its messages wait, queued, and go out once it is connected again. Reconnect it with ${label} on the console's Integrations page, or with POST /v1/integrations/oauth/authorize.`,
  );
}

function notConnected(owner: OAuthGrantOwner): AccountWaitingError {
  return new AccountWaitingError(
    'OAUTH_REAUTHORIZATION_REQUIRED',
    `The ${owner} account has no OAuth sign-in stored; connect it again with POST /v1/integrations/oauth/authorize.`,
  );
}
