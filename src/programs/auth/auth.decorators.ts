import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Program } from '../program.entity';

/** Which credential a route takes. Routes without this take a program secret key. */
export type AuthKind = 'operator' | 'secret' | 'publishable' | 'none';
export const AUTH_KIND = 'authKind';
export const Auth = (kind: AuthKind) => SetMetadata(AUTH_KIND, kind);

export interface AuthenticatedRequest extends Request {
  program?: Program;
}

/** The program whose key authenticated this request. */
export const CurrentProgram = createParamDecorator((_: unknown, ctx: ExecutionContext): Program => {
  const program = ctx.switchToHttp().getRequest<AuthenticatedRequest>().program;
  if (!program) throw new Error('CurrentProgram used on a route without program authentication');
  return program;
});
