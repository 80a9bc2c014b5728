export type OAuthTokenErrorCode =
  'OAUTH_TOKEN_REFRESH_FAILED' | 'OAUTH_CLIENT_REJECTED' | 'OAUTH_PROVIDER_NOT_CONFIGURED';

/**
 * An access token could not be had for a reason other than a revoked sign-in (that one is an
 * AccountWaitingError): the token endpoint is down, the client is refused, or the provider is
 * no longer configured. Never carries a token.
 */
export class OAuthTokenError extends Error {
  // Writable: nodemailer sets its own code on errors thrown inside a login; `reason` puts it back.
  code: string;
  readonly reason: OAuthTokenErrorCode;

  constructor(
    code: OAuthTokenErrorCode,
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'OAuthTokenError';
    this.code = code;
    this.reason = code;
  }
}
