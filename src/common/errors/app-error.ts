import { HttpException, HttpStatus } from '@nestjs/common';

export interface ErrorDetail {
  field?: string;
  code?: string;
  message: string;
  [key: string]: unknown;
}

/**
 * An error a caller can act on: a stable machine-readable `code` and a message that says what
 * to change. Every 4xx and 5xx body has this shape.
 */
export class AppError extends HttpException {
  constructor(
    status: HttpStatus | number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    // Every error body has details: what is wrong field by field, or an empty list.
    super({ statusCode: status, code, message, details: details ?? [] }, status);
  }

  static notFound(what: string, id?: string): AppError {
    return new AppError(
      HttpStatus.NOT_FOUND,
      'NOT_FOUND',
      id ? `${what} ${JSON.stringify(id)} was not found.` : `${what} was not found.`,
    );
  }

  static badRequest(code: string, message: string, details?: ErrorDetail[]): AppError {
    return new AppError(HttpStatus.BAD_REQUEST, code, message, details);
  }

  static conflict(code: string, message: string): AppError {
    return new AppError(HttpStatus.CONFLICT, code, message);
  }

  static unprocessable(code: string, message: string, details?: ErrorDetail[]): AppError {
    return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, code, message, details);
  }
}
