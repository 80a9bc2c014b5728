import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { PublicRateLimitGuard } from '../participant-auth/rate-limit/public-rate-limit';
import type { AuthenticatedRequest } from '../programs/auth/auth.decorators';
import type { Program } from '../programs/program.entity';
import { OneTimeLinks } from './one-time-links';
import { formField, single } from './page-parts';
import { PreferencesPage } from './preferences-page.service';

/**
 * The public routes' limits (per client IP, per address named in a form, per program), on the
 * participant pages. The program is the one the link belongs to, as on the API it is the key's.
 */
@Injectable()
export class PageRateLimitGuard extends PublicRateLimitGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly links: OneTimeLinks,
    private readonly preferences: PreferencesPage,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const programId = await this.programIdOf(req);
    // The throttler reads only the id of the program.
    if (programId) req.program = { id: programId } as Program;
    return super.canActivate(context);
  }

  private async programIdOf(req: AuthenticatedRequest): Promise<string | null> {
    const params = req.params as Record<string, string | undefined>;
    if (params.token !== undefined) return this.preferences.programIdOf(params.token);
    const token = single(req.query.token) ?? formField(req.body, 'token');
    if (token !== undefined) {
      const purpose = req.path.startsWith('/p/verify') ? 'verification' : 'password-reset';
      return this.links.programIdOf(purpose, token);
    }
    return single(req.query.program) ?? formField(req.body, 'program') ?? null;
  }
}
