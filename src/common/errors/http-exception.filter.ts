import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { Response } from 'express';
import { AppLogger, LOGGER } from '../logging/logging.module';
import { classifyError } from './classify-error';

/** Gives every error the one body shape; unexpected ones are logged and never leak internals. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const error = classifyError(exception);
    if (error.kind === 'unavailable') this.logger.warn({ err: exception }, 'database unavailable');
    if (error.kind === 'unexpected') this.logger.error({ err: exception }, 'unhandled error');
    for (const [k, v] of Object.entries(error.headers ?? {})) res.setHeader(k, v);
    res.status(error.status).json(error.body);
  }
}
