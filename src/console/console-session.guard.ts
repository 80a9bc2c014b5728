import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { safeEqual } from '../common/crypto/tokens';
import { AppError } from '../common/errors/app-error';
import {
  ConsoleRequest,
  CSRF_FIELD,
  formField,
  parseCookies,
  safeConsolePath,
  SESSION_COOKIE,
} from './console-request';
import { ConsoleSessionsService } from './console-sessions.service';

/** Thrown when a console page needs a sign-in; the console's filter answers with a redirect. */
export class SignInRequired extends Error {
  constructor(
    /** Where to come back to after signing in. */
    readonly next?: string,
    readonly expired = false,
  ) {
    super('Sign in to the console');
  }
}

export const csrfRejected = () =>
  new AppError(
    HttpStatus.FORBIDDEN,
    'CSRF_TOKEN_INVALID',
    'The form is missing its security token or it has expired. Reload the page and try again.',
  );

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** A live console session on every route, and its CSRF token on every POST. */
@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(private readonly sessions: ConsoleSessionsService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
    const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const found = id ? await this.sessions.resolve(id) : null;
    if (!found)
      throw new SignInRequired(
        SAFE_METHODS.has(req.method) ? safeConsolePath(req.originalUrl) : undefined,
        Boolean(id),
      );
    if (!SAFE_METHODS.has(req.method)) {
      // The token comes in the form, or in a header from the console's own script.
      const header = req.headers['x-csrf-token'];
      const sent =
        formField(req.body, CSRF_FIELD) ?? (typeof header === 'string' ? header : undefined);
      if (!sent || !safeEqual(sent, found.session.csrfToken)) throw csrfRejected();
    }
    req.consoleContext = {
      lang: req.consoleLang ?? 'en',
      csrfToken: found.session.csrfToken,
      path: SAFE_METHODS.has(req.method) ? req.path : undefined,
      program: found.program,
    };
    return true;
  }
}
