import { HttpException, HttpStatus } from '@nestjs/common';
import { PasswordHashBusy } from '../crypto/tokens';
import { AppError } from './app-error';
import { isDatabaseUnavailable } from './database-errors';
import { codeForStatus, errorBody, INTERNAL_ERROR_BODY, type ErrorBody } from './error-body';

/** What a request that failed answers, whoever renders it (the API's JSON, the console's pages). */
export interface ClassifiedError {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
  /** `unavailable`: the database is away for a moment; `unexpected`: a bug, to be logged. */
  kind: 'expected' | 'unavailable' | 'unexpected';
}

/** Maps any thrown value to the one error shape; internals of an unexpected error never show. */
export function classifyError(exception: unknown): ClassifiedError {
  if (exception instanceof AppError) {
    return {
      status: exception.getStatus(),
      body: exception.getResponse() as ErrorBody,
      headers: exception.headers,
      kind: 'expected',
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? [response.message].flat().join('; ')
        : exception.message;
    return { status, body: errorBody(status, codeForStatus(status), message), kind: 'expected' };
  }
  if (exception instanceof PasswordHashBusy) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: errorBody(503, exception.code, exception.message),
      headers: { 'Retry-After': '1' },
      kind: 'expected',
    };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: errorBody(
        503,
        'SERVICE_UNAVAILABLE',
        'The database is unavailable for a moment. Nothing was changed; try again shortly.',
      ),
      headers: { 'Retry-After': '5' },
      kind: 'unavailable',
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: INTERNAL_ERROR_BODY,
    kind: 'unexpected',
  };
}
