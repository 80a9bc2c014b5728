import { AsyncLocalStorage } from 'node:async_hooks';
import { EntityManager } from 'typeorm';
import { BetterSqlite3QueryRunner } from 'typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner';

// SQLite through better-sqlite3 is one connection, and TypeORM hands every caller the same query
// runner. A transaction is a series of awaits on it, so two concurrent transactions collide
// ("cannot start a transaction within a transaction"), and a plain query issued meanwhile would
// silently join, and roll back with, someone else's transaction. These patches give the
// connection one owner at a time: a transaction (and each save or remove, which open their own)
// holds it to the end; other queries wait their turn. Work inside a transaction callback,
// recognised through AsyncLocalStorage, runs as part of it.

class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => mine);
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

type Driverish = { options: { type: string }; connectionLock?: Mutex };

// The holder of the connection, as seen from the work it started. `held` ends with its hold: a
// callback it left running (a timer, a promise nobody awaited) then waits its turn like any other.
const owner = new AsyncLocalStorage<{ held: boolean }>();
const owns = (): boolean => owner.getStore()?.held === true;
const lockOf = (driver: Driverish): Mutex => (driver.connectionLock ??= new Mutex());

let installed = false;

/**
 * Runs `fn`, and everything it starts, as no transaction's work: for what a transaction sets off
 * to run after it (jobs queued on its commit). Started inside the callback, such work would skip
 * the queue for the connection, run after the transaction has let go of it, and join, or roll
 * back with, whichever transaction holds it then.
 */
export function outsideTransaction<T>(fn: () => T): T {
  return owner.exit(fn);
}

export function serializeSqliteConnections(): void {
  if (installed) return;
  installed = true;

  // Every EntityManager entry point that opens a transaction of its own.
  for (const name of ['transaction', 'save', 'remove', 'softRemove', 'recover'] as const) {
    const original = EntityManager.prototype[name] as (...args: unknown[]) => Promise<unknown>;
    (EntityManager.prototype as unknown as Record<string, unknown>)[name] = function (
      this: EntityManager,
      ...args: unknown[]
    ) {
      const driver = this.connection.driver as unknown as Driverish;
      const call = () => original.apply(this, args);
      if (driver.options.type !== 'better-sqlite3' || this.queryRunner || owns()) return call();
      return lockOf(driver).run(async () => {
        const hold = { held: true };
        try {
          return await owner.run(hold, call);
        } finally {
          hold.held = false;
        }
      });
    };
  }

  const query = BetterSqlite3QueryRunner.prototype.query;
  BetterSqlite3QueryRunner.prototype.query = function (
    this: BetterSqlite3QueryRunner,
    ...args: Parameters<typeof query>
  ) {
    if (owns()) return query.apply(this, args);
    return lockOf(this.driver as unknown as Driverish).run(() => query.apply(this, args));
  } as typeof query;
}
