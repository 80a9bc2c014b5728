import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { classifyError } from '../common/errors/classify-error';
import { errorBody } from '../common/errors/error-body';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { ConsoleContext, ConsoleRequest } from './console-request';
import { SignInRequired } from './console-session.guard';
import { ConsoleViews } from './console-views.service';
import { hasMessage, translate } from './i18n';

/** Console errors as pages (or JSON for the console's own scripts); a missing sign-in is a redirect. */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly views: ConsoleViews,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const lang = req.consoleLang ?? 'en';
    if (exception instanceof SignInRequired) {
      const query = new URLSearchParams();
      if (exception.next && exception.next !== '/console') query.set('next', exception.next);
      if (exception.expired) query.set('notice', 'session-expired');
      const search = query.toString();
      res.redirect(303, `/console/sign-in${search ? `?${search}` : ''}`);
      return;
    }

    const error = classifyError(exception);
    const { status, body } = error;
    const code = body.code;
    let message = body.message;
    if (error.kind === 'unexpected') {
      this.logger.error({ err: exception, path: req.path }, 'console error');
      message = translate(lang, 'error.internal');
    }
    if (error.kind === 'unavailable') message = translate(lang, 'error.unavailable');
    for (const [k, v] of Object.entries(error.headers ?? {})) res.setHeader(k, v);
    // Codes the console words itself read in the reader's language.
    if (hasMessage(`error.code.${code}`)) message = translate(lang, `error.code.${code}`);

    if ((req.headers.accept ?? '').includes('application/json')) {
      res.status(status).json(errorBody(status, code, message));
      return;
    }
    const ctx: ConsoleContext = req.consoleContext ?? {
      lang,
      csrfToken: '',
      path: req.method === 'GET' ? req.path : undefined,
    };
    res
      .status(status)
      .type('html')
      .send(
        this.views.render(
          {
            view: 'error',
            title: 'error.title',
            model: {
              heading: translate(
                lang,
                hasMessage(`error.status.${status}`) ? `error.status.${status}` : 'error.title',
              ),
              code,
              message,
            },
          },
          ctx,
        ),
      );
  }
}
