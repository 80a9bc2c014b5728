import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HttpExceptionFilter } from './common/errors/http-exception.filter';
import { LoggingModule } from './common/logging/logging.module';
import { AppConfig } from './config/app.config';
import { ConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { dataSourceOptions } from './database/data-source.options';
import { HealthModule } from './health/health.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { EventsModule } from './events/events.module';
import { DeliveryModule } from './delivery/delivery.module';
import { OutboxModule } from './messages/messages.module';
import { SmtpPoolModule } from './transports/smtp/smtp-pool.module';
import { MetricsModule } from './metrics/metrics.module';
import { ParticipantsModule } from './participants/participants.module';
import { ProgramsModule } from './programs/programs.module';
import { QueueModule } from './queue/queue.module';
import { RewardsModule } from './rewards/rewards.module';
import { RulesModule } from './rules/rules.module';
import { TemplatesModule } from './templates/templates.module';
import { TriggersModule } from './participant-auth/participant-auth.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config),
          migrationsRun: config.MIGRATIONS_RUN,
        }),
        QueueModule.forRoot(config),
        // Express tries routes in the order modules register them: the ingest route, the busiest
        // by far, is tried first rather than after a hundred others.
        EventsModule,
        MetricsModule,
        HealthModule,
        ProgramsModule,
        ParticipantsModule,
        SmtpPoolModule,
        OutboxModule,
        DeliveryModule,
        IntegrationsModule,
        TemplatesModule,
        TriggersModule,
        RulesModule,
        RewardsModule,
        ConsoleModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
