import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { bodyParserErrorHandler, bodyParsers } from './common/http/body-parsers';
import { createValidationPipe } from './common/http/validation';
import { errorBody } from './common/errors/error-body';
import { AppLogger, LOGGER } from './common/logging/logging.module';
import { PinoNestLogger } from './common/logging/logger';
import { requestLog } from './common/logging/request-log';
import { AppConfig, trustProxySetting } from './config/app.config';
import { setupOpenApi } from './openapi/openapi-document';

/** Builds the configured application; main.ts, the tests and the benchmarks all start it here. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  const logger = app.get<AppLogger>(LOGGER);
  app.useLogger(new PinoNestLogger(logger));
  app.enableShutdownHooks();
  const http = app.getHttpAdapter().getInstance();
  http.disable('x-powered-by');
  http.set('trust proxy', trustProxySetting(config.TRUST_PROXY));

  app.use(requestLog(logger));
  // Answers carry keys and personal data: no cache may keep them.
  app.use('/v1', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Postgres text cannot hold NUL: an id or a filter with one is a bad request, not a failed query.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.url.includes('%00')) return next();
    res
      .status(400)
      .json(errorBody(400, 'BAD_REQUEST', 'The URL has a NUL character (%00) in it; remove it.'));
  });
  for (const parser of bodyParsers(config.BODY_LIMIT_BYTES)) app.use(parser);
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) =>
    bodyParserErrorHandler(err, req, res, next),
  );
  app.useGlobalPipes(createValidationPipe());

  setupOpenApi(app);
  return app;
}
