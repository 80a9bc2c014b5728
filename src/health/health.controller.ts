import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Auth } from '../programs/auth/auth.decorators';
import { JobQueue } from '../queue/job-queue.port';

@ApiTags('operations')
@Auth('none')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly queue: JobQueue,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('queue');
        try {
          await this.queue.ping();
          return indicator.up({ kind: this.queue.kind, ...(await this.queue.counts()) });
        } catch (err) {
          return indicator.down({ kind: this.queue.kind, message: (err as Error).message });
        }
      },
    ]);
  }
}
