import { AsyncLocalStorage } from 'node:async_hooks';
import { EntityManager } from 'typeorm';
import { BetterSqlite3QueryRunner } from 'typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner';

// SQLite through better-sqlite3 is one connection. TypeORM runs each transaction as a series of
// awaits on it, so two concurrent transactions collide ("cannot start a transaction within a
// transaction") and a plain query issued meanwhile would silently join, and roll back with,
// someone else's transaction. These patches give the connection one owner at a time: a
// transaction holds it from BEGIN to COMMIT/ROLLBACK, and other work waits its turn. Work done
// inside a transaction callback (recognised through AsyncLocalStorage) runs as part of it.

class Mutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

type Runner = BetterSqlite3QueryRunner & { releaseLock?: () => void };
type Driverish = { options: { type: string }; connectionLock?: Mutex };

const insideTransaction = new AsyncLocalStorage<true>();
const lockOf = (driver: Driverish): Mutex => (driver.connectionLock ??= new Mutex());
const isSqlite = (driver: Driverish): boolean => driver.options.type === 'better-sqlite3';

let installed = false;

export function serializeSqliteConnections(): void {
  if (installed) return;
  installed = true;

  const transaction = EntityManager.prototype.transaction;
  EntityManager.prototype.transaction = function (this: EntityManager, ...args: unknown[]) {
    const driver = this.connection.driver as unknown as Driverish;
    const call = () => (transaction as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (!isSqlite(driver) || this.queryRunner || insideTransaction.getStore()) return call();
    return lockOf(driver).run(() => insideTransaction.run(true, call));
  } as typeof transaction;

  const proto = BetterSqlite3QueryRunner.prototype as Runner;
  const startTransaction = proto.startTransaction;
  const commitTransaction = proto.commitTransaction;
  const rollbackTransaction = proto.rollbackTransaction;
  const query = proto.query;

  proto.startTransaction = async function (this: Runner, ...args: Parameters<typeof startTransaction>) {
    // Transactions started outside EntityManager.transaction (repository.save, manual runners)
    // take the connection here and give it back on commit or rollback.
    const depth = (this as unknown as { transactionDepth: number }).transactionDepth;
    if (!insideTransaction.getStore() && !this.releaseLock && depth === 0) {
      this.releaseLock = await lockOf(this.driver as unknown as Driverish).acquire();
    }
    try {
      await startTransaction.apply(this, args);
    } catch (err) {
      if (!this.isTransactionActive) this.giveBack();
      throw err;
    }
  };

  const ending = (original: () => Promise<void>) =>
    async function (this: Runner) {
      try {
        await original.apply(this);
      } finally {
        if (!this.isTransactionActive) this.giveBack();
      }
    };
  proto.commitTransaction = ending(commitTransaction);
  proto.rollbackTransaction = ending(rollbackTransaction);

  (proto as Runner & { giveBack(): void }).giveBack = function (this: Runner) {
    const release = this.releaseLock;
    this.releaseLock = undefined;
    release?.();
  };

  proto.query = function (this: Runner, ...args: Parameters<typeof query>) {
    if (insideTransaction.getStore() || this.isTransactionActive || this.releaseLock) return query.apply(this, args);
    return lockOf(this.driver as unknown as Driverish).run(() => query.apply(this, args));
  } as typeof query;
}

declare module 'typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner' {
  interface BetterSqlite3QueryRunner {
    giveBack(): void;
  }
}
