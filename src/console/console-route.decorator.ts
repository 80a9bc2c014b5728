import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Auth } from '../programs/auth/auth.decorators';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleSessionGuard } from './console-session.guard';

/**
 * A console controller: no API key (the console has its own session), errors as pages, and
 * out of the OpenAPI document, which describes the API only.
 */
export const ConsolePages = (options: { signedIn: boolean } = { signedIn: true }) =>
  applyDecorators(
    Auth('none'),
    ApiExcludeController(),
    UseFilters(ConsoleExceptionFilter),
    ...(options.signedIn ? [UseGuards(ConsoleSessionGuard)] : []),
  );
