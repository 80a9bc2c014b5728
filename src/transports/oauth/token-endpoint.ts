import type { OAuthProvider } from './oauth-providers';

/** What a token endpoint answered: an access token and, when it sent one, a new refresh token. */
export interface TokenSet {
  accessToken: string;
  expiresAt: Date;
  /** Present on the first exchange, and whenever the provider rotates it. */
  refreshToken?: string;
  scope?: string;
}

export type TokenEndpointErrorCode =
  /** The grant is gone: revoked, expired, password changed, consent withdrawn. Only a person can fix it. */
  | 'OAUTH_GRANT_INVALID'
  /** The provider refused this service's client (id, secret, redirect URI): the operator must fix it. */
  | 'OAUTH_CLIENT_REJECTED'
  /** The endpoint could not be reached, or answered with a server error: worth trying again. */
  | 'OAUTH_TOKEN_ENDPOINT_FAILED';

/** A token request that did not yield a token; never carries a token, a code or the client secret. */
export class TokenEndpointError extends Error {
  constructor(
    readonly code: TokenEndpointErrorCode,
    message: string,
    /** The `error` of the provider's answer (RFC 6749 5.2), e.g. `invalid_grant`. */
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }

  get permanent(): boolean {
    return this.code !== 'OAUTH_TOKEN_ENDPOINT_FAILED';
  }
}

const TOKEN_TIMEOUT_MS = 15_000;
// What a provider's error description may add to a message: short, one line, no long runs that
// could be a token echoed back.
const describe = (text: unknown): string =>
  typeof text === 'string'
    ? text
        .replace(/\s+/g, ' ')
        .replace(/[A-Za-z0-9._~+/=-]{40,}/g, '[redacted]')
        .slice(0, 300)
        .trim()
    : '';

function failure(provider: OAuthProvider, status: number, body: unknown): TokenEndpointError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const error = typeof b.error === 'string' ? b.error.slice(0, 64) : undefined;
  // RFC 6749 names `error_description`; some servers answer RFC 9457 problem details instead.
  const said = [error, describe(b.error_description ?? b.detail)].filter(Boolean).join(': ');
  const answer = `${provider.label}'s token endpoint answered ${status}${said ? ` (${said})` : ''}`;
  if (error === 'invalid_grant') {
    return new TokenEndpointError(
      'OAUTH_GRANT_INVALID',
      `${answer}: the sign-in is no longer valid (revoked, expired, the password changed or consent was withdrawn).`,
      error,
    );
  }
  if (
    error === 'invalid_client' ||
    error === 'unauthorized_client' ||
    error === 'invalid_scope' ||
    status === 401
  ) {
    return new TokenEndpointError(
      'OAUTH_CLIENT_REJECTED',
      `${answer}: the provider refused this service's OAuth client. The operator must check OAUTH_${provider.name.toUpperCase()}_CLIENT_ID and _CLIENT_SECRET, and the app registration (redirect URI, API permissions).`,
      error,
    );
  }
  if (status >= 400 && status < 500) {
    return new TokenEndpointError(
      'OAUTH_CLIENT_REJECTED',
      `${answer}: the request was refused.`,
      error,
    );
  }
  return new TokenEndpointError(
    'OAUTH_TOKEN_ENDPOINT_FAILED',
    `${answer}; it will be tried again.`,
    error,
  );
}

/**
 * One request to the provider's token endpoint (RFC 6749 section 4.1.3 or 6), the client
 * authenticated with its secret in the body. Throws a TokenEndpointError.
 */
export async function requestTokens(
  provider: OAuthProvider,
  params: Record<string, string>,
  options: { timeoutMs?: number; now?: () => number } = {},
): Promise<TokenSet> {
  const body = new URLSearchParams({ ...params, client_id: provider.clientId });
  if (provider.clientSecret) body.set('client_secret', provider.clientSecret);
  let res: Response;
  try {
    res = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? TOKEN_TIMEOUT_MS),
    });
  } catch (err) {
    const why =
      err instanceof Error && err.name === 'TimeoutError'
        ? 'did not answer in time'
        : 'could not be reached';
    throw new TokenEndpointError(
      'OAUTH_TOKEN_ENDPOINT_FAILED',
      `${provider.label}'s token endpoint ${why}; it will be tried again.`,
    );
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  if (!res.ok) throw failure(provider, res.status, json);
  const b = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const tokenType = typeof b.token_type === 'string' ? b.token_type.toLowerCase() : 'bearer';
  if (typeof b.access_token !== 'string' || !b.access_token || tokenType !== 'bearer') {
    throw new TokenEndpointError(
      'OAUTH_TOKEN_ENDPOINT_FAILED',
      `${provider.label}'s token endpoint answered without a bearer access token; it will be tried again.`,
    );
  }
  const expiresIn = Number(b.expires_in);
  const lifetimeS = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600;
  const now = options.now?.() ?? Date.now();
  return {
    accessToken: b.access_token,
    expiresAt: new Date(now + lifetimeS * 1000),
    refreshToken:
      typeof b.refresh_token === 'string' && b.refresh_token ? b.refresh_token : undefined,
    scope: typeof b.scope === 'string' ? b.scope : undefined,
  };
}
