import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
} from '@nestjs/common';
import { Response } from 'express';
import { AppLogger, LOGGER } from '../logging/logging.module';
import { AppError } from './app-error';
import { isDatabaseUnavailable } from './database-errors';
import { codeForStatus, errorBody, INTERNAL_ERROR_BODY } from './error-body';

/** Gives every error the one body shape; unexpected ones are logged and never leak internals. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof AppError) {
      if (exception.headers)
        for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response && 'message' in response
          ? [response.message].flat().join('; ')
          : exception.message;
      res.status(status).json(errorBody(status, codeForStatus(status), message));
      return;
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception }, 'database unavailable');
      res.setHeader('Retry-After', '5');
      res
        .status(HttpStatus.SERVICE_UNAVAILABLE)
        .json(
          errorBody(
            503,
            'SERVICE_UNAVAILABLE',
            'The database is unavailable for a moment. Nothing was changed; try again shortly.',
          ),
        );
      return;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json(INTERNAL_ERROR_BODY);
  }
}
