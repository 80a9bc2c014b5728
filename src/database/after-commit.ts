import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { TransactionCommitEvent } from 'typeorm/subscriber/event/TransactionCommitEvent';
import type { TransactionRollbackEvent } from 'typeorm/subscriber/event/TransactionRollbackEvent';
import { AppLogger, LOGGER } from '../common/logging/logging.module';
import { outsideTransaction } from './sqlite-serializer';

/** Receives, once, every item collected for it in one transaction. */
export type Flush<T> = (items: T[]) => Promise<unknown>;

/**
 * Work to do once the transaction of an EntityManager has committed, such as queueing the
 * delivery of outbox rows it wrote. Hooks that run inside someone else's transaction cannot
 * see its end; the data source tells us. Items collected for one flush in one transaction are
 * handed over together, so a transaction that wrote many rows queues them with one call. What a
 * lost process never runs, the outbox sweeper picks up.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, Map<Flush<unknown>, unknown[]>>();

  constructor(
    dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    dataSource.subscribers.push(this);
  }

  /** Gives `item` to `flush` after the manager's transaction commits, or now when there is none. */
  collect<T>(manager: EntityManager | undefined, flush: Flush<T>, item: T): void {
    const runner = manager?.queryRunner;
    if (!runner?.isTransactionActive) {
      this.start(flush as Flush<unknown>, [item]);
      return;
    }
    const lists = this.pending.get(runner) ?? new Map<Flush<unknown>, unknown[]>();
    const list = lists.get(flush as Flush<unknown>) ?? [];
    list.push(item);
    lists.set(flush as Flush<unknown>, list);
    this.pending.set(runner, lists);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint is not the end; the outermost COMMIT is.
    if (event.queryRunner.isTransactionActive) return;
    const lists = this.pending.get(event.queryRunner);
    this.pending.delete(event.queryRunner);
    for (const [flush, items] of lists ?? []) this.start(flush, items);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }

  private start(flush: Flush<unknown>, items: unknown[]): void {
    // The commit hook runs inside the transaction that ended: its work is no part of it.
    void outsideTransaction(() =>
      flush(items).catch((err: unknown) =>
        this.logger.warn({ err }, 'after-commit work failed; the sweeper will retry it'),
      ),
    );
  }
}
