import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app.config';
import type { AuthenticatedRequest } from '../../programs/auth/auth.decorators';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

function addressOf(req: Record<string, unknown>): string | undefined {
  const email = (req.body as Record<string, unknown> | undefined)?.email;
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : undefined;
}

/**
 * The limits of the public routes, each counted per route: per client IP, per email address
 * named in the body (within the program) and per program. The throttler hashes the trackers
 * into its keys, so no address is stored in clear.
 */
export function publicRateLimitOptions(
  config: AppConfig,
  storage?: ThrottlerStorage,
): ThrottlerModuleOptions {
  return {
    storage,
    // Retry-After is set by the guard below; the per-throttler headers would be non-standard names.
    setHeaders: false,
    throttlers: [
      { name: 'ip', ttl: MINUTE_MS, limit: config.PUBLIC_RATE_LIMIT_IP_PER_MINUTE },
      {
        name: 'program',
        ttl: MINUTE_MS,
        limit: config.PUBLIC_RATE_LIMIT_PROGRAM_PER_MINUTE,
        getTracker: (req) => (req as AuthenticatedRequest).program?.id ?? 'none',
      },
      {
        name: 'address',
        ttl: HOUR_MS,
        limit: config.PUBLIC_RATE_LIMIT_ADDRESS_PER_HOUR,
        // Per address AND client: someone else naming your address from elsewhere spends their
        // own allowance, not yours, so a stranger cannot lock a person out. The emails one
        // address gets are bounded apart (TOKEN_EMAILS_PER_ADDRESS_PER_HOUR).
        getTracker: (req) =>
          `${(req as AuthenticatedRequest).program?.id ?? 'none'}:${addressOf(req)}:${(req as { ip?: string }).ip ?? ''}`,
        skipIf: (ctx) => addressOf(ctx.switchToHttp().getRequest()) === undefined,
      },
    ],
  };
}

/** The throttler with the service's error body: 429, code RATE_LIMITED and a standard Retry-After. */
@Injectable()
export class PublicRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    throw new AppError(
      HttpStatus.TOO_MANY_REQUESTS,
      'RATE_LIMITED',
      `Too many requests; try again in ${retryAfter} seconds.`,
      undefined,
      { 'Retry-After': String(retryAfter) },
    );
  }
}
