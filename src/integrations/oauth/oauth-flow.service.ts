import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { IntegrationSecrets } from '../../common/crypto/integration-secrets';
import { AppError } from '../../common/errors/app-error';
import { AppLogger, LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app.config';
import { effectiveSettings, type Program } from '../../programs/program.entity';
import { ProgramsService } from '../../programs/programs.service';
import type { Endpoint } from '../../transports/accounts/endpoints';
import { savesToSent } from '../../transports/imap/sent-folder';
import {
  OAuthProviders,
  type OAuthProvider,
  type OAuthPurpose,
} from '../../transports/oauth/oauth-providers';
import { requestTokens, TokenEndpointError } from '../../transports/oauth/token-endpoint';
import { resolveAllowedHost } from '../../transports/smtp/host-guard';
import { SmtpError } from '../../transports/smtp/smtp-errors';
import { SenderIdentitiesService } from '../sender-identities.service';
import { notConnected, SmtpIntegrationService } from '../smtp-integration.service';
import type { OAuthAuthorizeDto, OAuthAuthorizeResponse } from './dto/oauth-authorize.dto';
import { OAuthAccounts, type ConnectedAccount } from './oauth-accounts.service';
import type { OAuthConnectRequest } from './oauth-connect-request';
import { OAuthState } from './oauth-state.entity';

/** How long the provider's sign-in may take: the `state` is refused after this. */
export const STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/oauth/callback';

/** What the callback did, for its page (or the redirect back to `returnTo`). */
export type CallbackOutcome =
  | { ok: true; account: ConnectedAccount; returnTo: string | null }
  | { ok: false; error: AppError; returnTo: string | null };

const base64url = (bytes: Buffer) => bytes.toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Fields that apply to some purposes only; sending one elsewhere is refused, not ignored. */
const FIELDS_FOR: Record<string, readonly OAuthPurpose[]> = {
  senderId: ['sender'],
  smtp: ['integration'],
  imap: ['sender', 'inbound-mailbox'],
  fromAddress: ['integration'],
  testFromAddress: ['integration'],
  fromName: ['integration', 'sender'],
  saveToSent: ['sender'],
  folder: ['inbound-mailbox'],
  read: ['inbound-mailbox'],
};

/**
 * The OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636): an authorization URL
 * whose `state` is single-use, expires in ten minutes and is bound to the program and what is
 * connected; then the callback, which exchanges the code and hands the tokens to OAuthAccounts.
 * A refused or failed step saves nothing.
 */
@Injectable()
export class OAuthFlow {
  constructor(
    @InjectRepository(OAuthState) private readonly states: Repository<OAuthState>,
    private readonly providers: OAuthProviders,
    private readonly secrets: IntegrationSecrets,
    private readonly programs: ProgramsService,
    private readonly smtp: SmtpIntegrationService,
    private readonly senders: SenderIdentitiesService,
    private readonly accounts: OAuthAccounts,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  get redirectUri(): string {
    return new URL(CALLBACK_PATH, this.config.PUBLIC_BASE_URL).toString();
  }

  /** The provider's sign-in page for this request; nothing is connected until the callback. */
  async authorize(program: Program, dto: OAuthAuthorizeDto): Promise<OAuthAuthorizeResponse> {
    const provider = this.providers.get(dto.provider);
    if (!provider) {
      throw AppError.badRequest(
        'OAUTH_PROVIDER_NOT_CONFIGURED',
        `Sign-in with ${dto.provider === 'google' ? 'Google' : 'Microsoft'} is not configured on this service: its operator sets OAUTH_${dto.provider.toUpperCase()}_CLIENT_ID and _CLIENT_SECRET. Configured: ${
          this.providers
            .list()
            .map((p) => p.name)
            .join(', ') || 'none'
        }.`,
      );
    }
    for (const [field, purposes] of Object.entries(FIELDS_FOR)) {
      if (
        (dto as unknown as Record<string, unknown>)[field] !== undefined &&
        !purposes.includes(dto.for)
      ) {
        throw AppError.badRequest(
          'OAUTH_FIELD_NOT_APPLICABLE',
          `${field} applies to ${purposes.map((p) => `"${p}"`).join(' and ')} only; leave it out for "${dto.for}".`,
        );
      }
    }
    const returnTo = dto.returnTo === undefined ? null : this.checkReturnTo(program, dto.returnTo);
    const { request, imap } = await this.requestFor(program, dto, provider);
    const scopes = provider.scopes({ imap });
    request.returnTo = returnTo;
    request.scope = scopes.join(' ');

    const verifier = base64url(randomBytes(32));
    const state = base64url(randomBytes(32));
    const now = new Date();
    const expiresAt = new Date(now.getTime() + STATE_TTL_MS);
    // Requests nobody finished are of no use after they expire.
    await this.states.delete({ expiresAt: LessThan(new Date(now.getTime() - STATE_TTL_MS)) });
    await this.states.insert({
      id: sha256(state).toString('hex'),
      programId: program.id,
      purpose: dto.for,
      provider: provider.name,
      request,
      verifierSealed: this.secrets.seal(program.id, verifier),
      expiresAt,
      usedAt: null,
      createdAt: now,
    });
    const url = new URL(provider.authorizeUrl);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: this.redirectUri,
      scope: scopes.join(' '),
      state,
      code_challenge: base64url(sha256(verifier)),
      code_challenge_method: 'S256',
      ...provider.authorizeParams(dto.email),
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    this.logger.info(
      { programId: program.id, provider: provider.name, purpose: dto.for },
      'oauth authorization started',
    );
    return { authorizeUrl: url.toString(), expiresAt: expiresAt.toISOString() };
  }

  /**
   * The provider sent the browser back: the state is used up whatever happens next, the code is
   * exchanged (with the PKCE verifier), and the account verified and saved. Never throws: the
   * outcome is for a page a person reads.
   */
  async callback(query: Record<string, unknown>): Promise<CallbackOutcome> {
    const param = (name: string) => (typeof query[name] === 'string' ? query[name] : undefined);
    const stateParam = param('state');
    let row: OAuthState | null = null;
    try {
      row = await this.consume(stateParam);
      const provider = this.providers.get(row.provider);
      if (!provider) {
        throw new AppError(
          503,
          'OAUTH_PROVIDER_NOT_CONFIGURED',
          `Sign-in with ${row.provider} is no longer configured on this service; nothing was saved.`,
        );
      }
      const error = param('error');
      if (error) {
        const description = (param('error_description') ?? '').slice(0, 300);
        throw AppError.badRequest(
          error === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_AUTHORIZATION_FAILED',
          error === 'access_denied'
            ? `The sign-in at ${provider.label} was cancelled or the permissions were declined${description ? ` (${description})` : ''}; nothing was saved. Start again and accept the mail permissions to connect.`
            : `${provider.label} did not authorize the connection (${error}${description ? `: ${description}` : ''}); nothing was saved.`,
        );
      }
      const code = param('code');
      if (!code) {
        throw AppError.badRequest(
          'OAUTH_CODE_MISSING',
          `${provider.label} sent no authorization code back; nothing was saved. Start again.`,
        );
      }
      const program = await this.programs.findById(row.programId);
      if (!program) throw AppError.notFound('Program', row.programId);
      const tokens = await this.exchange(provider, row, code);
      const account = await this.accounts.connect(
        program,
        row.purpose,
        provider,
        row.request,
        tokens,
      );
      this.logger.info(
        { programId: program.id, provider: provider.name, purpose: row.purpose },
        'oauth account connected',
      );
      return { ok: true, account, returnTo: row.request.returnTo ?? null };
    } catch (err) {
      const error = asAppError(err);
      this.logger.warn(
        {
          programId: row?.programId,
          provider: row?.provider,
          purpose: row?.purpose,
          code: error.code,
        },
        'oauth callback refused',
      );
      return { ok: false, error, returnTo: row?.request.returnTo ?? null };
    }
  }

  /** Takes the state once: a second use, an unknown or an expired one is refused. */
  private async consume(state: string | undefined): Promise<OAuthState> {
    const invalid = () =>
      AppError.badRequest(
        'OAUTH_STATE_INVALID',
        'This sign-in link is not one this service started (the state is missing or unknown); nothing was saved. Start again from the console or POST /v1/integrations/oauth/authorize.',
      );
    if (!state || state.length > 200) throw invalid();
    const id = sha256(state).toString('hex');
    const now = new Date();
    const taken = await this.states
      .createQueryBuilder()
      .update()
      .set({ usedAt: now })
      .where('id = :id AND "usedAt" IS NULL AND "expiresAt" > :now', { id, now })
      .execute();
    const row = await this.states.findOneBy({ id });
    if (!row) throw invalid();
    if (!taken.affected) {
      if (row.usedAt)
        throw AppError.badRequest(
          'OAUTH_STATE_USED',
          'This sign-in was already completed (each one can be used once); nothing more was saved. Start again to connect once more.',
        );
      throw AppError.badRequest(
        'OAUTH_STATE_EXPIRED',
        `This sign-in took longer than ${STATE_TTL_MS / 60_000} minutes and expired; nothing was saved. Start again.`,
      );
    }
    return row;
  }

  private async exchange(provider: OAuthProvider, row: OAuthState, code: string) {
    let tokens;
    try {
      tokens = await requestTokens(provider, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.redirectUri,
        code_verifier: this.secrets.open(row.programId, row.verifierSealed),
      });
    } catch (err) {
      if (!(err instanceof TokenEndpointError)) throw err;
      if (err.code === 'OAUTH_TOKEN_ENDPOINT_FAILED')
        throw new AppError(
          502,
          err.code,
          `${err.message.replace(/; it will be tried again\.$/, '.')} Nothing was saved; start again.`,
        );
      throw AppError.badRequest(
        'OAUTH_CODE_REJECTED',
        `${provider.label} refused to exchange the authorization code (an expired or reused code, or a PKCE verifier that does not match): ${err.message} Nothing was saved; start again.`,
      );
    }
    if (!tokens.refreshToken) {
      throw AppError.unprocessable(
        'OAUTH_NO_REFRESH_TOKEN',
        `${provider.label} granted no refresh token, so the connection could not last past the first hour; nothing was saved. ${provider.name === 'google' ? 'Remove the app at myaccount.google.com/permissions and connect again, accepting offline access.' : 'The app registration needs the offline_access permission; connect again.'}`,
      );
    }
    return { ...tokens, refreshToken: tokens.refreshToken };
  }

  /**
   * What will be connected, with the servers the tokens will be sent to checked now, and whether
   * IMAP access is asked for (a Sent copy, or the inbound mailbox).
   */
  private async requestFor(
    program: Program,
    dto: OAuthAuthorizeDto,
    provider: OAuthProvider,
  ): Promise<{ request: OAuthConnectRequest; imap: boolean }> {
    const request: OAuthConnectRequest = { email: dto.email };
    let imap = false;
    if (dto.for === 'integration') {
      request.smtp = dto.smtp ?? provider.smtp;
      request.fromAddress = dto.fromAddress ?? null;
      request.fromName = dto.fromName ?? null;
      request.testFromAddress = dto.testFromAddress ?? null;
      await this.guard(request.smtp);
    } else if (dto.for === 'sender') {
      if (!dto.senderId) {
        throw AppError.badRequest(
          'OAUTH_SENDER_ID_REQUIRED',
          'Name the sender to connect: senderId, as rules name it.',
        );
      }
      this.senders.assertSenderId(dto.senderId);
      const integration = await this.smtp.find(program.id);
      if (!integration) throw notConnected();
      const existing = await this.senders.find(program.id, dto.senderId);
      request.senderId = dto.senderId;
      request.fromName = dto.fromName ?? null;
      request.saveToSent = dto.saveToSent ?? existing?.saveToSent ?? 'auto';
      imap = savesToSent(request.saveToSent, integration.host);
      request.imap = dto.imap
        ? {
            host: dto.imap.host,
            port: dto.imap.port,
            security: dto.imap.security,
            sentFolder: dto.imap.sentFolder ?? null,
          }
        : null;
      if (request.imap) await this.guard(request.imap);
    } else {
      request.imap = dto.imap
        ? {
            host: dto.imap.host,
            port: dto.imap.port,
            security: dto.imap.security,
            sentFolder: null,
          }
        : provider.imap;
      request.folder = dto.folder ?? null;
      request.read = dto.read ?? null;
      imap = true;
      await this.guard(request.imap);
    }
    return { request, imap };
  }

  /** The host guard, before anyone signs in: a server the tokens may never go to is said at once. */
  private async guard(endpoint: Endpoint): Promise<void> {
    try {
      await resolveAllowedHost(endpoint.host, endpoint.port, {
        allowPrivateHosts: this.config.SMTP_ALLOW_PRIVATE_HOSTS,
        timeoutMs: 10_000,
      });
    } catch (err) {
      if (err instanceof SmtpError) throw AppError.unprocessable(err.code, err.message);
      throw err;
    }
  }

  /**
   * Where the browser may go afterwards: this service's own origin (the console), or the
   * program's microsite. A path is taken as one on this service.
   */
  private checkReturnTo(program: Program, returnTo: string): string {
    const refuse = () =>
      AppError.badRequest(
        'OAUTH_RETURN_TO_NOT_ALLOWED',
        `returnTo must be a URL on this service (${new URL(this.config.PUBLIC_BASE_URL).origin}) or on the program's microsite (settings.micrositeUrl); another site is never sent to.`,
      );
    let url: URL;
    try {
      // A path is on this service; `//host` and `/\host` would be another site.
      if (/^\/(?![/\\])/.test(returnTo)) url = new URL(returnTo, this.config.PUBLIC_BASE_URL);
      else url = new URL(returnTo);
    } catch {
      throw refuse();
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse();
    if (url.username || url.password) throw refuse();
    const allowed = [this.config.PUBLIC_BASE_URL, effectiveSettings(program).micrositeUrl]
      .filter((u): u is string => Boolean(u))
      .map((u) => {
        try {
          return new URL(u).origin;
        } catch {
          return null;
        }
      });
    if (!allowed.includes(url.origin)) throw refuse();
    return url.toString();
  }
}

function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError(
    500,
    'OAUTH_CONNECT_FAILED',
    'Connecting the account failed on this service; nothing was saved. Try again; if it keeps failing, the service log says why.',
  );
}
