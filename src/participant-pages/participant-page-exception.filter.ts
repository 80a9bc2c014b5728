import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { classifyError } from '../common/errors/classify-error';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { loggableUrl } from '../common/logging/request-log';
import { acceptedLang, translate, type MessageKey } from './i18n';
import { messagePage } from './page-parts';
import { ParticipantPageViews } from './participant-page-views';

/** Errors on a participant page as pages, in the reader's language; internals never show. */
@Catch()
export class ParticipantPageExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly views: ParticipantPageViews,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const error = classifyError(exception);
    if (error.kind === 'unexpected')
      this.logger.error({ err: exception, path: loggableUrl(req.path) }, 'participant page error');
    const lang = acceptedLang(req.headers['accept-language']) ?? 'en';
    const retryAfter = error.headers?.['Retry-After'];
    const [title, body]: [MessageKey, string] =
      error.status === 429
        ? [
            'error.rateLimited.title',
            translate(lang, 'error.rateLimited.body', { seconds: retryAfter ?? 60 }),
          ]
        : error.status === 503
          ? ['error.unavailable.title', translate(lang, 'error.unavailable.body')]
          : error.status === 404
            ? ['error.notFound.title', translate(lang, 'error.notFound.body')]
            : ['error.title', translate(lang, 'error.body')];
    this.views.send(
      res,
      messagePage({
        lang,
        title,
        paragraphs: [body],
        status: error.status,
        tone: 'problem',
        headers: error.headers,
      }),
    );
  }
}
