import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { TransactionCommitEvent } from 'typeorm/subscriber/event/TransactionCommitEvent';
import type { TransactionRollbackEvent } from 'typeorm/subscriber/event/TransactionRollbackEvent';
import { AppLogger, LOGGER } from '../common/logging/logging.module';

type Task = () => Promise<unknown>;

/**
 * Work to do once the transaction of an EntityManager has committed, such as queueing the
 * delivery of outbox rows it wrote. Hooks that run inside someone else's transaction cannot
 * see its end; the data source tells us. What a lost process never runs, the outbox sweeper
 * picks up.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Task[]>();

  constructor(
    dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    dataSource.subscribers.push(this);
  }

  /** Runs `task` after the manager's transaction commits, or now when there is none. */
  run(manager: EntityManager, task: Task): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      this.start([task]);
      return;
    }
    const tasks = this.pending.get(runner) ?? [];
    tasks.push(task);
    this.pending.set(runner, tasks);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint is not the end; the outermost COMMIT is.
    if (event.queryRunner.isTransactionActive) return;
    const tasks = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    if (tasks) this.start(tasks);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }

  private start(tasks: Task[]): void {
    for (const task of tasks) {
      task().catch((err: unknown) =>
        this.logger.warn({ err }, 'after-commit task failed; the sweeper will retry it'),
      );
    }
  }
}
