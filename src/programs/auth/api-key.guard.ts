import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../../config/app.config';
import { AppError } from '../../common/errors/app-error';
import { safeEqual } from '../../common/crypto/tokens';
import { keyKindOf } from '../api-keys';
import { ProgramsService } from '../programs.service';
import { AUTH_KIND, AuthenticatedRequest, AuthKind } from './auth.decorators';

const unauthorized = (code: string, message: string) =>
  new AppError(HttpStatus.UNAUTHORIZED, code, message, undefined, { 'WWW-Authenticate': 'Bearer' });

/** Checks the bearer credential of every route against the kind the route declares. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly programs: ProgramsService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const kind =
      this.reflector.getAllAndOverride<AuthKind>(AUTH_KIND, [ctx.getHandler(), ctx.getClass()]) ??
      'secret';
    if (kind === 'none') return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw unauthorized('API_KEY_MISSING', 'Send your key as "Authorization: Bearer <key>".');
    const token = match[1];

    if (kind === 'operator') {
      if (safeEqual(token, this.config.ADMIN_TOKEN ?? '')) return true;
      throw unauthorized('API_KEY_INVALID', 'This route needs the operator token (ADMIN_TOKEN).');
    }
    const presented = keyKindOf(token);
    if (!presented)
      throw unauthorized(
        'API_KEY_INVALID',
        'The key is not valid. Use a program key that starts with sk_ or pk_.',
      );
    const program = await this.programs.findByKey(token);
    if (!program)
      throw unauthorized('API_KEY_INVALID', 'The key is not valid; it may have been rotated.');
    if (presented !== kind) {
      throw new AppError(
        HttpStatus.FORBIDDEN,
        presented === 'publishable' ? 'PUBLISHABLE_KEY_NOT_ALLOWED' : 'SECRET_KEY_NOT_ALLOWED',
        presented === 'publishable'
          ? 'A publishable key (pk_) may only call /v1/public routes; use the secret key (sk_) from your server.'
          : 'Public routes take the publishable key (pk_); never put the secret key in a browser or app.',
      );
    }
    req.program = program;
    return true;
  }
}
