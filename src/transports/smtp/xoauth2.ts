import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { AccountWaitingError } from '../accounts/account-waiting';
import { OAuthTokenError } from '../oauth/oauth-errors';

/** Where an XOAUTH2 login gets its access token. */
export interface XOAuth2Login {
  /** Names the grant and its generation, never the token: a reconnected account gets new transports. */
  key: string;
  /** A current access token; with `rejected`, one that replaces the token the server refused. */
  accessToken(rejected?: string): Promise<string>;
}

/** The error a server sends back, base64 JSON, when it refuses an XOAUTH2 login (Google, Microsoft). */
export interface XOAuth2Failure {
  status?: string;
  schemes?: string;
  scope?: string;
}

/** The SASL XOAUTH2 initial response: `user=<email>^Aauth=Bearer <token>^A^A`, base64. */
export function xoauth2Response(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString(
    'base64',
  );
}

/** Decodes a 334 challenge that carries the server's JSON error; undefined when it is not one. */
export function decodeXOAuth2Failure(challenge: string): XOAuth2Failure | undefined {
  const text = challenge.trim();
  if (!/^[A-Za-z0-9+/]+=*$/.test(text)) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    if (typeof json !== 'object' || json === null) return undefined;
    const field = (name: string) => {
      const value = (json as Record<string, unknown>)[name];
      return typeof value === 'string' || typeof value === 'number'
        ? String(value).slice(0, 200)
        : undefined;
    };
    return { status: field('status'), schemes: field('schemes'), scope: field('scope') };
  } catch {
    return undefined;
  }
}

/** What a failure payload says, in words for a message. */
export function describeXOAuth2Failure(failure: XOAuth2Failure): string {
  const parts = [
    failure.status ? `status ${failure.status}` : undefined,
    failure.scope ? `scope ${failure.scope}` : undefined,
    failure.schemes ? `schemes ${failure.schemes}` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no details';
}

/** A refused XOAUTH2 login, with the server's decoded error; nodemailer adds code, response and command. */
export class XOAuth2LoginError extends Error {
  constructor(
    message: string,
    readonly xoauth2: XOAuth2Failure | null,
  ) {
    super(message);
    this.name = 'XOAuth2LoginError';
  }
}

// Microsoft's refusals that a new token cannot change: SMTP AUTH turned off for the mailbox or
// tenant, or password sign-in refused (not the case here, but never worth a refresh).
const NOT_ABOUT_THE_TOKEN = /\b5\.7\.(139|30)\b/;

const statusOf = (reply: { response: string }): number => Number(reply.response.slice(0, 3)) || 0;

// A token that could not be had is rethrown as it is; the transports put its code back.
const tokenProblem = (err: unknown): unknown =>
  err instanceof AccountWaitingError || err instanceof OAuthTokenError
    ? err
    : new OAuthTokenError(
        'OAUTH_TOKEN_REFRESH_FAILED',
        'No OAuth access token could be had for the login; it will be tried again.',
        false,
      );

/**
 * nodemailer's custom handler for AUTH XOAUTH2: logs in with the current access token and, when
 * the server refuses it (expired, revoked early), gets a new one once and tries again. A
 * refusal's 334 challenge is decoded so the error says what the server found wrong.
 */
export function xoauth2Handler(
  user: string,
  login: XOAuth2Login,
): (ctx: SMTPConnection.CustomAuthenticationContext) => Promise<void> {
  return async (ctx) => {
    let token: string;
    try {
      token = await login.accessToken();
    } catch (err) {
      throw tokenProblem(err);
    }
    for (let attempt = 0; ; attempt++) {
      let reply = await ctx.sendCommand(`AUTH XOAUTH2 ${xoauth2Response(user, token)}`);
      let failure: XOAuth2Failure | null = null;
      if (statusOf(reply) === 334) {
        failure = decodeXOAuth2Failure(reply.response.slice(4)) ?? null;
        // The client's empty line ends the exchange; the server then sends its final refusal.
        reply = await ctx.sendCommand('');
      }
      const status = statusOf(reply);
      if (status === 235) return;
      if (attempt === 0 && status >= 500 && !NOT_ABOUT_THE_TOKEN.test(reply.response)) {
        try {
          token = await login.accessToken(token);
        } catch (err) {
          throw tokenProblem(err);
        }
        continue;
      }
      throw new XOAuth2LoginError('XOAUTH2 login refused', failure);
    }
  };
}

/**
 * A token that could not be had, thrown inside a login: with the code nodemailer replaced put
 * back. Undefined for every other error.
 */
export function tokenErrorOf(err: unknown): AccountWaitingError | OAuthTokenError | undefined {
  if (!(err instanceof AccountWaitingError) && !(err instanceof OAuthTokenError)) return undefined;
  err.code = err.reason;
  return err;
}
