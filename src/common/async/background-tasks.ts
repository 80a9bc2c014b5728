import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { AppLogger, LOGGER } from '../logging/logging.module';

/**
 * Work a public request starts but does not wait for, so the answer takes the same time
 * whether or not the address belongs to a participant. Shutdown waits for what is running.
 */
@Injectable()
export class BackgroundTasks implements BeforeApplicationShutdown {
  private readonly running = new Set<Promise<void>>();

  constructor(@Inject(LOGGER) private readonly logger: AppLogger) {}

  run(name: string, task: () => Promise<unknown>): void {
    const done: Promise<void> = Promise.resolve()
      .then(task)
      .then(
        () => undefined,
        (err: unknown) => this.logger.error({ err, task: name }, 'background task failed'),
      )
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Resolves when every task started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }
}
