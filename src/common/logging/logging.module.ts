import { Global, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { AppConfig } from '../../config/app.config';
import { createLogger } from './logger';

export const LOGGER = Symbol('LOGGER');
export type AppLogger = Logger;

@Global()
@Module({
  providers: [
    {
      provide: LOGGER,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => createLogger(config.LOG_LEVEL),
    },
  ],
  exports: [LOGGER],
})
export class LoggingModule {}
