import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DatabaseModule } from '../database/database.module';
import { QueueModule } from '../queue/queue.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** Prometheus metrics at /metrics, served by every process. */
@Module({
  imports: [QueueModule, DatabaseModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        const end = this.metrics.httpDuration.startTimer({ method: req.method });
        res.on('finish', () => {
          // The matched route pattern, not the raw path, keeps label cardinality bounded.
          const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
          end({ route, status: String(res.statusCode) });
        });
        next();
      })
      .forRoutes('*path');
  }
}
