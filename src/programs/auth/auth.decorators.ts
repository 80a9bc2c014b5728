import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Program } from '../program.entity';

/** Which credential a route takes. Routes without this take a program secret key. */
export type AuthKind = 'operator' | 'secret' | 'publishable' | 'none';
export const AUTH_KIND = 'authKind';
/** Carries a route's kind of key into the OpenAPI document, which turns it into its security. */
export const AUTH_EXTENSION = 'x-auth-kind';
export const Auth = (kind: AuthKind) =>
  applyDecorators(SetMetadata(AUTH_KIND, kind), ApiExtension(AUTH_EXTENSION, kind));

export interface AuthenticatedRequest extends Request {
  program?: Program;
}

/** The program whose key authenticated this request. */
export const CurrentProgram = createParamDecorator((_: unknown, ctx: ExecutionContext): Program => {
  const program = ctx.switchToHttp().getRequest<AuthenticatedRequest>().program;
  if (!program) throw new Error('CurrentProgram used on a route without program authentication');
  return program;
});
