import { HttpStatus } from '@nestjs/common';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  /** Empty unless the error has something to say field by field (validation, a template's problems). */
  details: unknown[];
}

// Codes for errors raised by the framework rather than by our services.
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

export function errorBody(
  status: number,
  code: string,
  message: string,
  details?: unknown[],
): ErrorBody {
  return { statusCode: status, code, message, details: details ?? [] };
}

export const INTERNAL_ERROR_BODY = errorBody(
  HttpStatus.INTERNAL_SERVER_ERROR,
  'INTERNAL_ERROR',
  'Something went wrong on our side. The request was not completed; try again, and tell the operator if it keeps happening.',
);
